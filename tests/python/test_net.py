"""Net from Python: NumPy views alias blob memory, forward/backward in pycaffe's shape,
net surgery between nets with renamed layers."""
import numpy as np
import pytest

import hwgq
from conftest import write

SMALL_NET = """
name: "small"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "%(ip)s" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 1 }
                              bias_filler { type: "constant" value: 0.5 } } }
layer { name: "relu" type: "ReLU" bottom: "ip" top: "ip" }
layer { name: "%(out)s" type: "InnerProduct" bottom: "ip" top: "out"
        inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 1 } } }
"""


def small_net(tmp_path, ip="ip1", out="ip2", name="net.prototxt", **kwargs):
    return hwgq.Net(write(tmp_path / name, SMALL_NET % {"ip": ip, "out": out}), **kwargs)


def reference_forward(net, x, ip="ip1", out="ip2"):
    w1, b1 = (blob.data for blob in net.params[ip])
    w2, b2 = (blob.data for blob in net.params[out])
    return np.maximum(x @ w1.T + b1, 0) @ w2.T + b2


def test_forward_computes_the_net_and_returns_views(tmp_path):
    net = small_net(tmp_path)
    assert net.inputs == ["data"] and net.outputs == ["out"]
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    result = net.forward(data=x)
    np.testing.assert_allclose(result["out"], reference_forward(net, x), rtol=1e-5, atol=1e-5)
    assert np.shares_memory(result["out"], net.blobs["out"].data)


def test_views_alias_blob_memory(tmp_path):
    net = small_net(tmp_path)
    data = net.blobs["data"].data
    assert data.dtype == np.float32 and data.shape == (2, 3)
    assert np.shares_memory(data, net.blobs["data"].data)
    data[...] = 1.0
    weights = net.params["ip1"][0].data
    weights[...] = 0.0  # written through the view, seen by forward
    net.params["ip1"][1].data[...] = [1, 2, 3, 4]
    net.forward()
    np.testing.assert_array_equal(net.blobs["ip"].data, [[1, 2, 3, 4]] * 2)
    # diff views alias too
    net.blobs["out"].diff[...] = 3.0
    assert np.all(net.blobs["out"].diff == 3.0)


def test_views_stay_valid_after_reshape(tmp_path):
    net = small_net(tmp_path)
    blob = net.blobs["data"]
    old = blob.data
    old[...] = 7.0
    blob.reshape(1, 3)  # fewer values: the buffer is kept, the old view still aliases it
    assert np.shares_memory(old, blob.data)
    blob.reshape(50, 3)  # more values: a new buffer; the old view keeps the old one alive
    net.reshape()
    assert blob.data.shape == (50, 3)
    assert not np.shares_memory(old, blob.data)
    np.testing.assert_array_equal(old, 7.0)
    del net, blob
    np.testing.assert_array_equal(old, 7.0)  # outlives the net


def test_forward_with_another_batch_size_reshapes(tmp_path):
    net = small_net(tmp_path)
    x = np.ones((5, 3), dtype=np.float32)
    out = net.forward(data=x)["out"]
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out, reference_forward(net, x), rtol=1e-5, atol=1e-5)


def test_backward_gives_input_gradients(tmp_path):
    text = (SMALL_NET % {"ip": "ip1", "out": "ip2"}) + "force_backward: true\n"
    net = hwgq.Net(write(tmp_path / "fb.prototxt", text))
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    net.forward(data=x)
    diffs = net.backward(out=np.ones((2, 2), dtype=np.float32))
    w1 = net.params["ip1"][0].data
    w2 = net.params["ip2"][0].data
    active = (net.blobs["ip"].data > 0).astype(np.float32)
    expected = ((np.ones((2, 2)) @ w2) * active) @ w1
    np.testing.assert_allclose(diffs["data"], expected, rtol=1e-5, atol=1e-5)


def test_start_and_end(tmp_path):
    net = small_net(tmp_path)
    x = np.ones((2, 3), dtype=np.float32)
    partial = net.forward(data=x, end="ip1")
    assert list(partial) == ["ip"]
    net.blobs["ip"].data[...] = 0.0
    rest = net.forward(start="ip2")
    np.testing.assert_allclose(rest["out"], np.tile(net.params["ip2"][1].data, (2, 1)))


def test_net_surgery_round_trips(tmp_path):
    source = small_net(tmp_path, name="a.prototxt")
    target = small_net(tmp_path, ip="fc_a", out="fc_b", name="b.prototxt")
    for old, new in (("ip1", "fc_a"), ("ip2", "fc_b")):
        for src, dst in zip(source.params[old], target.params[new]):
            dst.data[...] = src.data
    x = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
    expected = source.forward(data=x)["out"].copy()
    np.testing.assert_array_equal(target.forward(data=x)["out"], expected)
    # Saved and loaded back into a third net with the renamed layers.
    target.save(str(tmp_path / "surgery.caffemodel"))
    reloaded = small_net(tmp_path, ip="fc_a", out="fc_b", name="c.prototxt",
                         weights=str(tmp_path / "surgery.caffemodel"))
    np.testing.assert_array_equal(reloaded.forward(data=x)["out"], expected)
    # pycaffe's positional forms give the same net.
    positional = hwgq.Net(str(tmp_path / "b.prototxt"), str(tmp_path / "surgery.caffemodel"), hwgq.TEST)
    np.testing.assert_array_equal(positional.forward(data=x)["out"], expected)
    other = small_net(tmp_path, ip="fc_a", out="fc_b", name="d.prototxt")
    other.copy_from(str(tmp_path / "surgery.caffemodel"))
    np.testing.assert_array_equal(other.forward(data=x)["out"], expected)


def test_layers_and_names(tmp_path):
    net = small_net(tmp_path)
    assert list(net.layer_dict) == ["data", "ip1", "relu", "ip2"]
    assert net.layer_dict["ip1"].type == "InnerProduct"
    assert net.top_names["ip1"] == ["ip"] and net.bottom_names["ip2"] == ["ip"]
    assert [b.shape for b in net.params["ip1"]] == [(4, 3), (4,)]
    assert net.phase == hwgq.TEST
