"""A LeNet trained by `hwgq train` on Fashion-MNIST: its TEST-phase forward from Python
gives the values `hwgq test` prints for the same weights."""
import re

import numpy as np
import pytest

import hwgq

TEST_BATCHES = 5


def cli_means(run_cli, model, weights):
    out = run_cli("test", f"--model={model}", f"--weights={weights}", f"--iterations={TEST_BATCHES}").stdout
    return {name: float(value) for name, value in re.findall(r"^(\w+) = ([0-9.e+-]+)", out, re.M)}


def test_forward_equals_hwgq_test(trained_lenet, run_cli):
    model, weights = trained_lenet
    expected = cli_means(run_cli, model, weights)
    assert set(expected) == {"accuracy", "loss"}
    net = hwgq.Net(model, weights=weights, phase=hwgq.TEST)
    sums = {}
    for _ in range(TEST_BATCHES):
        for name, value in net.forward().items():
            sums[name] = sums.get(name, 0.0) + float(np.asarray(value).reshape(-1)[0])
    means = {name: total / TEST_BATCHES for name, total in sums.items()}
    assert means.keys() == expected.keys()
    for name in expected:
        # `hwgq test` prints 6 significant digits.
        assert means[name] == pytest.approx(expected[name], rel=1e-5, abs=1e-6), name
    assert means["accuracy"] > 0.6  # it was trained


def test_trained_scores_from_python_input(trained_lenet):
    """The same weights in a deploy-shaped use: images fed as NumPy arrays."""
    model, weights = trained_lenet
    net = hwgq.Net(model, weights=weights, phase=hwgq.TEST)
    net.forward()
    images = net.blobs["data"].data.copy()
    labels = net.blobs["label"].data.copy()
    scores = net.blobs["ip2"].data.copy()
    # The images written back through the view, run from the first layer after the data
    # layer, give the same scores; other images give others.
    net.blobs["data"].data[...] = images
    net.forward(start="conv1")
    np.testing.assert_array_equal(net.blobs["ip2"].data, scores)
    net.blobs["data"].data[...] = images[::-1]
    net.forward(start="conv1")
    np.testing.assert_array_equal(net.blobs["ip2"].data, scores[::-1])
    assert np.mean(scores.argmax(axis=1) == labels) > 0.5
