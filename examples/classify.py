#!/usr/bin/env python3
"""Classifies one image file with a trained net and prints the top 5 classes.

    python3 examples/classify.py --model examples/fashion_mnist_deploy.prototxt \\
        --weights out/fashion_mnist/lenet/lenet_iter_10000.caffemodel \\
        --labels examples/fashion_mnist_labels.txt --scale 0.00390625 image.png

The model is a deploy prototxt with one Input blob (N x C x H x W): the image is read as
gray (C = 1) or colour (C = 3, B, G, R), resized to H x W, has the per-channel mean
subtracted and is multiplied by the scale, as the net's data layer did in training.
"""
import argparse
import sys

import numpy as np

import hwgq


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("image", help="a JPEG or PNG file")
    parser.add_argument("--model", required=True, help="deploy prototxt with an Input layer")
    parser.add_argument("--weights", required=True, help="trained .caffemodel")
    parser.add_argument("--labels", help="class names, one per line")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the pixels (after the mean)")
    parser.add_argument("--mean", default="", help="per-channel mean to subtract, e.g. 104,117,123")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args(argv)

    net = hwgq.Net(args.model, weights=args.weights, phase=hwgq.TEST)
    if len(net.inputs) != 1:
        sys.exit(f"{args.model} must have exactly one Input blob, it has {list(net.inputs)}")
    _, channels, height, width = net.blobs[net.inputs[0]].shape
    color = {1: "gray", 3: "color"}.get(channels)
    if color is None:
        sys.exit(f"the net's input has {channels} channels; images have 1 or 3")

    pixels = hwgq.load_image(args.image, color=color, height=height, width=width)  # H x W x C
    image = pixels.transpose(2, 0, 1).astype(np.float32)  # C x H x W
    if args.mean:
        image -= np.array([float(v) for v in args.mean.split(",")], dtype=np.float32).reshape(-1, 1, 1)
    image *= args.scale

    scores = net.forward(**{net.inputs[0]: image[np.newaxis]})[net.outputs[-1]][0].reshape(-1)
    if scores.min() < 0 or abs(scores.sum() - 1) > 1e-3:  # not probabilities yet: softmax
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
    labels = [line.strip() for line in open(args.labels)] if args.labels else None
    for rank, index in enumerate(np.argsort(-scores)[: args.top], start=1):
        name = labels[index] if labels and index < len(labels) else ""
        print(f"{rank}. {scores[index]:.4f}  class {index}  {name}".rstrip())


if __name__ == "__main__":
    main()
