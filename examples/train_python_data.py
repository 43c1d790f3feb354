#!/usr/bin/env python3
"""Trains python_data_net.prototxt, whose data layer is written in Python, step by step
from Python, and reports the test accuracy. Run from the repository root:

    python3 examples/train_python_data.py [--iterations 1000]

The same solver trains from the CLI, which starts an interpreter for the layer:

    PYTHONPATH=examples build/bin/hwgq train --solver=examples/python_data_solver.prototxt
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # fashion_mnist_layer
import hwgq  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--solver", default="examples/python_data_solver.prototxt")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--test-batches", type=int, default=100)
    args = parser.parse_args(argv)

    os.makedirs("out/examples", exist_ok=True)
    solver = hwgq.get_solver(args.solver)
    done = 0
    while done < args.iterations:
        chunk = min(100, args.iterations - done)
        solver.step(chunk)
        done += chunk
        loss = float(solver.net.blobs["loss"].data.reshape(-1)[0])
        print(f"iteration {solver.iter}: loss {loss:.4f}")
    test_net = solver.test_nets[0]
    accuracy = np.mean([float(test_net.forward()["accuracy"]) for _ in range(args.test_batches)])
    print(f"test accuracy over {args.test_batches} batches: {accuracy:.4f}")
    print(f"wrote {solver.snapshot()}")


if __name__ == "__main__":
    main()
