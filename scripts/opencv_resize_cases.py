#!/usr/bin/python3
"""Writes random images and OpenCV's INTER_LINEAR resizes of them, for the parity test.

    /usr/bin/python3 scripts/opencv_resize_cases.py CASES_FILE [--count N] [--seed S]
    HWGQ_OPENCV_RESIZE_CASES=CASES_FILE build/bin/hwgq_tests --gtest_filter='ResizeOpenCvParity.*'

Needs Debian's python3-opencv (cv2) and numpy; the test itself needs neither. Sizes mix
tiny images (borders everywhere), exact 2x and 0.5x factors (OpenCV switches to INTER_AREA
for the latter), odd ratios and Caffe-like sizes (256 -> 227, 500 x 375 -> 256 x 256).

File format (little-endian): b"HWGQRSZ1", uint32 case count; per case uint32 in_height,
in_width, channels, out_height, out_width, then the input bytes and the output bytes
(height x width x channels each, rows top to bottom, channels interleaved).
"""
import argparse
import struct

import cv2
import numpy as np


def random_case(rng):
    kind = rng.integers(0, 5)
    channels = int(rng.choice([1, 3]))
    if kind == 0:  # tiny: every output pixel near a border
        ih, iw, oh, ow = (int(v) for v in rng.integers(1, 9, size=4))
    elif kind == 1:  # general small
        ih, iw, oh, ow = (int(v) for v in rng.integers(1, 70, size=4))
    elif kind == 2:  # exact factors of two
        ih, iw = (int(v) for v in rng.integers(1, 40, size=2))
        if rng.integers(0, 2):
            ih, iw = 2 * ih, 2 * iw
            oh, ow = ih // 2, iw // 2
        else:
            oh, ow = 2 * ih, 2 * iw
    elif kind == 3:  # Caffe-like
        ih, iw = (int(v) for v in rng.integers(200, 520, size=2))
        oh, ow = [(256, 256), (227, 227), (224, 224), (32, 32)][int(rng.integers(0, 4))]
    else:  # wide or tall rows (long vector runs, short remainders)
        ih, iw = int(rng.integers(1, 12)), int(rng.integers(100, 700))
        oh, ow = int(rng.integers(1, 12)), int(rng.integers(17, 500))
        if rng.integers(0, 2):
            ih, iw, oh, ow = iw, ih, ow, oh
    shape = (ih, iw) if channels == 1 else (ih, iw, 3)
    image = rng.integers(0, 256, size=shape, dtype=np.uint8)
    if rng.integers(0, 4) == 0:  # smooth content: many values right at rounding boundaries
        image = np.clip(np.cumsum(image.astype(np.int32) % 3, axis=1), 0, 255).astype(np.uint8)
    resized = cv2.resize(image, (ow, oh), interpolation=cv2.INTER_LINEAR)
    return ih, iw, channels, oh, ow, image, resized


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases_file")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with open(args.cases_file, "wb") as out:
        out.write(b"HWGQRSZ1" + struct.pack("<I", args.count))
        for _ in range(args.count):
            ih, iw, channels, oh, ow, image, resized = random_case(rng)
            out.write(struct.pack("<5I", ih, iw, channels, oh, ow))
            out.write(np.ascontiguousarray(image).tobytes())
            out.write(np.ascontiguousarray(resized).tobytes())
    print(f"wrote {args.count} cases (OpenCV {cv2.__version__}) to {args.cases_file}")


if __name__ == "__main__":
    main()
