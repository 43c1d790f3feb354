"""A custom data layer in Python: Fashion-MNIST batches read with NumPy, shuffled each
epoch, with a random horizontal flip in training. Used by python_data_net.prototxt:

    layer {
      name: "data" type: "Python" top: "data" top: "label"
      python_param { module: "fashion_mnist_layer" layer: "FashionMnistLayer"
                     param_str: '{"split": "train", "batch": 64}' }
    }

The module must be importable: run from this folder, or put it on PYTHONPATH.
"""
import gzip
import json
import os

import numpy as np

import hwgq

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file (gzip-compressed) as a uint8 array of its shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class FashionMnistLayer(hwgq.Layer):
    def setup(self, bottom, top):
        if bottom or len(top) != 2:
            raise ValueError("FashionMnistLayer has no bottoms and two tops (data, label)")
        params = json.loads(self.param_str or "{}")
        split = "train" if params.get("split", "train") == "train" else "t10k"
        folder = params.get("dir", DATA_DIR)
        self.batch = int(params.get("batch", 64))
        self.images = read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz"))
        self.labels = read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"))
        self.training = self.phase == hwgq.TRAIN
        self.rng = np.random.default_rng(int(params.get("seed", 1)))
        self.order = np.arange(len(self.images))
        self.cursor = len(self.order)  # start a new epoch on the first batch

    def reshape(self, bottom, top):
        top[0].reshape(self.batch, 1, 28, 28)
        top[1].reshape(self.batch)

    def next_indices(self):
        if self.cursor + self.batch > len(self.order):
            if self.training:
                self.rng.shuffle(self.order)
            self.cursor = 0
        indices = self.order[self.cursor: self.cursor + self.batch]
        self.cursor += self.batch
        return indices

    def forward(self, bottom, top):
        indices = self.next_indices()
        images = self.images[indices].astype(np.float32) / 256.0
        if self.training:
            flip = self.rng.random(self.batch) < 0.5
            images[flip] = images[flip, :, ::-1]
        top[0].data[:, 0] = images
        top[1].data[...] = self.labels[indices]
