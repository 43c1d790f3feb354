#!/usr/bin/env python3
"""Net surgery: copies trained weights into a net whose layers have other names (or that
keeps only some of the layers), checks that the copy computes what the source computes
when the layers all match, and saves the result.

    python3 examples/net_surgery.py --source-model a.prototxt --source-weights a.caffemodel \\
        --target-model b.prototxt --rename ip1:fc1 --rename ip2:fc2 --output b.caffemodel

Layers not renamed keep their names; target layers that get no weights keep their fillers.
"""
import argparse
import sys

import numpy as np

import hwgq


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source-model", required=True)
    parser.add_argument("--source-weights", required=True)
    parser.add_argument("--target-model", required=True)
    parser.add_argument("--rename", action="append", default=[], metavar="OLD:NEW",
                        help="source layer OLD goes to target layer NEW (repeatable)")
    parser.add_argument("--output", required=True, help="the target's weights (.caffemodel)")
    args = parser.parse_args(argv)

    renames = dict(item.split(":", 1) for item in args.rename)
    source = hwgq.Net(args.source_model, weights=args.source_weights, phase=hwgq.TEST)
    target = hwgq.Net(args.target_model, phase=hwgq.TEST)

    copied = 0
    for name, blobs in source.params.items():
        new_name = renames.get(name, name)
        if new_name not in target.params:
            print(f"skipped {name}: the target has no layer {new_name!r} with weights")
            continue
        for index, (src, dst) in enumerate(zip(blobs, target.params[new_name])):
            if src.shape != dst.shape:
                sys.exit(f"{name}[{index}] is {src.shape} but {new_name}[{index}] is {dst.shape}")
            dst.data[...] = src.data  # written in place, through NumPy views
        print(f"copied {name} -> {new_name} ({', '.join(str(b.shape) for b in blobs)})")
        copied += 1

    # Same inputs through both nets: equal outputs show that every weight arrived.
    if copied == len(source.params) and list(source.inputs) == list(target.inputs):
        rng = np.random.default_rng(0)
        inputs = {name: rng.standard_normal(source.blobs[name].shape).astype(np.float32) for name in source.inputs}
        expected = {k: v.copy() for k, v in source.forward(**inputs).items()}
        got = target.forward(**inputs)
        difference = max(float(np.max(np.abs(got[k] - expected[k]))) for k in expected)
        print(f"max |source - target| output: {difference}")
        if difference != 0.0:
            sys.exit("the target does not compute what the source computes")

    target.save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
