"""pycaffe's Net methods, added to hwgq.Net (so that solver.net and solver.test_nets have
them too): blobs, params, layer_dict, top_names, bottom_names, forward, backward."""
from collections import OrderedDict

import numpy as np

from ._native import native

Net = native.Net


def _blobs(self):
    """Blob name -> hwgq.Blob, in the net's order."""
    return OrderedDict(zip(self._blob_names, self._blobs))


def _params(self):
    """Layer name -> list of its weight blobs, for layers that have weights."""
    return OrderedDict((name, layer.blobs) for name, layer in zip(self._layer_names, self.layers) if layer.blobs)


def _layer_dict(self):
    return OrderedDict(zip(self._layer_names, self.layers))


def _top_names(self):
    return OrderedDict((name, self._top_names(i)) for i, name in enumerate(self._layer_names))


def _bottom_names(self):
    return OrderedDict((name, self._bottom_names(i)) for i, name in enumerate(self._layer_names))


def _layer_index(self, name):
    try:
        return list(self._layer_names).index(name)
    except ValueError:
        raise KeyError(f"net {self.name!r} has no layer {name!r}") from None


def _set_inputs(self, arrays, what):
    blobs = self.blobs
    reshaped = False
    for name, values in arrays.items():
        values = np.asarray(values, dtype=np.float32)
        if values.ndim == 0 or values.size == 0:
            raise ValueError(f"{what} for blob {name!r} is empty (shape {values.shape})")
        blob = blobs[name]
        if what == "data" and values.shape != blob.shape:
            blob.reshape(*values.shape)
            reshaped = True
        elif values.shape != blob.shape:
            raise ValueError(f"{what} for blob {name!r} has shape {values.shape}, the blob {blob.shape}")
        getattr(blob, what)[...] = values
    if reshaped:
        self.reshape()


def _forward(self, blobs=None, start=None, end=None, **inputs):
    """Sets the given input blobs (an array of another batch size or shape reshapes the
    net), runs layers start..end (names; default all) and returns {name: NumPy view} for
    the outputs (or end's tops) and the extra `blobs` asked for."""
    extra = list(blobs or [])
    unknown = set(inputs) - set(self.inputs)
    if unknown:
        raise ValueError(f"{sorted(unknown)} are not inputs of net {self.name!r}; its inputs: {list(self.inputs)}")
    start_index = _layer_index(self, start) if start is not None else 0
    if end is not None:
        end_index = _layer_index(self, end)
        outputs = list(self._top_names(end_index)) + extra
    else:
        end_index = len(self.layers) - 1
        outputs = list(self.outputs) + extra
    _set_inputs(self, inputs, "data")
    self._forward(start_index, end_index + 1)
    current = self.blobs
    return {name: current[name].data for name in outputs}


def _backward(self, diffs=None, start=None, end=None, **top_diffs):
    """Sets the given output diffs, runs backward from layer start down to end (names;
    default all) and returns {name: NumPy view of the diff} for the inputs (or end's
    bottoms) and the extra `diffs` asked for."""
    extra = list(diffs or [])
    start_index = _layer_index(self, start) if start is not None else len(self.layers) - 1
    if end is not None:
        end_index = _layer_index(self, end)
        outputs = list(self._bottom_names(end_index)) + extra
    else:
        end_index = 0
        outputs = list(self.inputs) + extra
    unknown = set(top_diffs) - set(self.outputs)
    if unknown:
        raise ValueError(f"{sorted(unknown)} are not outputs of net {self.name!r}; its outputs: {list(self.outputs)}")
    _set_inputs(self, top_diffs, "diff")
    self._backward(start_index, end_index)
    current = self.blobs
    return {name: current[name].diff for name in outputs}


Net.blobs = property(_blobs)
Net.params = property(_params)
Net.layer_dict = property(_layer_dict)
Net.top_names = property(_top_names)
Net.bottom_names = property(_bottom_names)
Net.forward = _forward
Net.backward = _backward
