#!/usr/bin/env python3
"""Runs an exported ONNX model with onnxruntime and compares it with hwgq's values.

Usage: check_onnx_export.py MODEL.onnx MANIFEST [--rtol R]

Each MANIFEST line is `ROLE NAME FILE DIMS`: FILE holds float32 values (native order) of
shape DIMS (comma separated) for the graph value NAME. ROLE is
  feed   a graph input, given to onnxruntime;
  float  a graph output that must match within R relative to the tensor's largest value
         (|ort - hwgq| <= R * max(1, max |hwgq|));
  quant  a graph output that must match exactly (a Quant layer's levels).
Prints one line per compared output and exits with 1 when any differs beyond its bound.
"""
import argparse
import sys

import numpy as np
import onnxruntime as ort


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("manifest")
    parser.add_argument("--rtol", type=float, default=1e-4)
    args = parser.parse_args()

    feeds, expected = {}, []
    with open(args.manifest) as manifest:
        for line in manifest:
            if not line.strip():
                continue
            role, name, path, dims = line.split()
            shape = [int(d) for d in dims.split(",")]
            values = np.fromfile(path, dtype=np.float32).reshape(shape)
            if role == "feed":
                feeds[name] = values
            elif role in ("float", "quant"):
                expected.append((role, name, values))
            else:
                sys.exit(f"{args.manifest}: unknown role {role!r}")

    options = ort.SessionOptions()
    # The graph as written: no fusions that would change the arithmetic being checked.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    outputs = session.run([name for _, name, _ in expected], feeds)

    failed = 0
    for (role, name, want), got in zip(expected, outputs):
        if got.shape != want.shape:
            print(f"FAIL {name}: shape {got.shape}, hwgq {want.shape}")
            failed += 1
            continue
        if role == "quant":
            differ = int(np.count_nonzero(~((got == want) | (np.isnan(got) & np.isnan(want)))))
            ok = differ == 0
            print(f"{'ok  ' if ok else 'FAIL'} {name}: quant, {differ} of {want.size} values differ, "
                  f"levels {np.unique(want).size}")
        else:
            scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
            worst = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
            ok = worst <= args.rtol * scale
            print(f"{'ok  ' if ok else 'FAIL'} {name}: float, max |ort - hwgq| = {worst:.3g} "
                  f"(bound {args.rtol * scale:.3g})")
        failed += not ok
    print(f"{len(expected) - failed} of {len(expected)} outputs match")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
