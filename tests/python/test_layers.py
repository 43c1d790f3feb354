"""Python layers used by the tests (python_param { module: "test_layers" ... }), and by
`hwgq train` through the CLI's embedded interpreter."""
import gzip
import json

import numpy as np

import hwgq


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class FashionMnistData(hwgq.Layer):
    """Batches of Fashion-MNIST test images (scaled to [0, 1)) and labels, in order;
    param_str is JSON: {"images": path, "labels": path, "batch": n, "limit": n}."""

    def setup(self, bottom, top):
        if bottom:
            raise ValueError("FashionMnistData takes no bottom blobs")
        params = json.loads(self.param_str)
        self.batch = int(params["batch"])
        limit = int(params.get("limit", 0)) or None
        self.images = read_idx(params["images"])[:limit].astype(np.float32) / 256.0
        self.labels = read_idx(params["labels"])[:limit].astype(np.float32)
        self.cursor = 0

    def reshape(self, bottom, top):
        top[0].reshape(self.batch, 1, 28, 28)
        top[1].reshape(self.batch)

    def forward(self, bottom, top):
        index = (np.arange(self.batch) + self.cursor) % len(self.images)
        self.cursor = (self.cursor + self.batch) % len(self.images)
        top[0].data[:, 0] = self.images[index]
        top[1].data[...] = self.labels[index]


class EuclideanLoss(hwgq.Layer):
    """Caffe's example loss: sum((a - b)^2) / (2 N); param_str scales it."""

    def setup(self, bottom, top):
        if len(bottom) != 2:
            raise ValueError("EuclideanLoss needs two bottoms")
        self.scale = float(self.param_str or 1)

    def reshape(self, bottom, top):
        if bottom[0].count != bottom[1].count:
            raise ValueError("EuclideanLoss inputs must have the same size")
        self.difference = np.zeros(bottom[0].shape, dtype=np.float32)
        top[0].reshape(1)

    def forward(self, bottom, top):
        self.difference[...] = bottom[0].data - bottom[1].data
        top[0].data[0] = self.scale * np.sum(self.difference ** 2) / bottom[0].num / 2.0

    def backward(self, top, propagate_down, bottom):
        for i, sign in ((0, 1), (1, -1)):
            if propagate_down[i]:
                bottom[i].diff[...] = sign * self.scale * self.difference / bottom[i].num


class Scale(hwgq.Layer):
    """y = w * x with one learnable weight, which it adds in setup (self.blobs)."""

    def setup(self, bottom, top):
        if len(self.blobs) == 0:
            self.blobs.add_blob(1)
            self.blobs[0].data[0] = 2.0

    def reshape(self, bottom, top):
        top[0].reshape(*bottom[0].shape)

    def forward(self, bottom, top):
        top[0].data[...] = self.blobs[0].data[0] * bottom[0].data

    def backward(self, top, propagate_down, bottom):
        self.blobs[0].diff[0] += np.sum(top[0].diff * bottom[0].data)
        if propagate_down[0]:
            bottom[0].diff[...] = self.blobs[0].data[0] * top[0].diff


class NoForward(hwgq.Layer):
    """Defines no forward: the base class says which layer lacks it."""

    def reshape(self, bottom, top):
        top[0].reshape(1)


class Broken(hwgq.Layer):
    """Fails in forward, to test that Python errors surface."""

    def reshape(self, bottom, top):
        top[0].reshape(1)

    def forward(self, bottom, top):
        raise ZeroDivisionError("broken on purpose")
