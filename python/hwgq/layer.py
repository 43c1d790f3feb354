"""The base class of Python layers (type: "Python" in a prototxt), as caffe.Layer.

    layer {
      name: "loss" type: "Python" bottom: "pred" bottom: "label" top: "loss"
      python_param { module: "my_layers" layer: "EuclideanLoss" param_str: "{'scale': 2}" }
      loss_weight: 1
    }

hwgq makes the object with no arguments, sets `param_str`, `phase`, `name` and `blobs`,
then calls setup once, and reshape before every forward. bottom and top are lists of
hwgq.Blob, valid during the call.
"""
from collections.abc import Sequence


class LayerBlobs(Sequence):
    """A Python layer's weights (self.blobs): indexable hwgq.Blob objects; setup adds
    them with add_blob(*shape). They are saved and loaded with the net's weights and
    updated by solvers like any layer's."""

    def __init__(self, layer):
        self._layer = layer

    def _live(self):
        if self._layer is None:
            raise RuntimeError("the layer these blobs belonged to no longer exists")
        return self._layer

    def _detach(self):
        self._layer = None

    def __len__(self):
        return len(self._live().blobs)

    def __getitem__(self, index):
        return self._live().blobs[index]

    def add_blob(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._live()._add_blob(list(shape))


class Layer:
    """Override setup, reshape, forward and backward (the defaults do nothing, except
    forward, which must be written)."""

    param_str = ""
    phase = None
    name = ""
    blobs = ()

    def setup(self, bottom, top):
        pass

    def reshape(self, bottom, top):
        pass

    def forward(self, bottom, top):
        raise NotImplementedError(f"Python layer {self.name!r} ({type(self).__name__}) has no forward")

    def backward(self, top, propagate_down, bottom):
        pass
