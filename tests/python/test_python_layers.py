"""type: "Python" layers: a data layer feeding training (from Python and from the CLI),
a loss layer's gradient against numeric differences, layers with their own weights."""
import json
import re

import numpy as np
import pytest

import hwgq
from conftest import write


def data_layer(fashion_mnist, phase, batch, limit):
    params = json.dumps({"images": str(fashion_mnist / "t10k-images-idx3-ubyte.gz"),
                         "labels": str(fashion_mnist / "t10k-labels-idx1-ubyte.gz"),
                         "batch": batch, "limit": limit})
    return ('layer { name: "data" type: "Python" top: "data" top: "label" include { phase: %s }\n'
            '  python_param { module: "test_layers" layer: "FashionMnistData" param_str: %s } }\n'
            % (phase, json.dumps(params)))


def classifier(fashion_mnist):
    return ('name: "python_data"\n' + data_layer(fashion_mnist, "TRAIN", 64, 8000) +
            data_layer(fashion_mnist, "TEST", 100, 0) + """
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.01 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy"
        include { phase: TEST } }
""")


def solver_text(net_path, prefix, max_iter):
    return f"""net: "{net_path}"
test_iter: 20
test_interval: 100000
test_initialization: false
base_lr: 0.1
lr_policy: "fixed"
momentum: 0.9
display: 50
max_iter: {max_iter}
snapshot_prefix: "{prefix}"
random_seed: 1
"""


def test_python_data_layer_feeds_training(tmp_path, fashion_mnist):
    net_path = write(tmp_path / "net.prototxt", classifier(fashion_mnist))
    solver = hwgq.get_solver(write(tmp_path / "solver.prototxt",
                                   solver_text(net_path, tmp_path / "snap", 300)))
    first_loss = float(solver.net.forward()["loss"])
    assert first_loss == pytest.approx(np.log(10), rel=0.05)  # chance level at the start
    solver.step(300)
    assert solver.iter == 300
    test_net = solver.test_nets[0]
    accuracy = np.mean([float(test_net.forward()["accuracy"]) for _ in range(20)])
    assert accuracy > 0.7, accuracy  # a linear classifier on Fashion-MNIST reaches ~0.8
    model = solver.snapshot()
    assert model.endswith("_iter_300.caffemodel")


def test_cli_trains_with_a_python_data_layer(tmp_path, fashion_mnist, run_cli):
    net_path = write(tmp_path / "net.prototxt", classifier(fashion_mnist))
    solver_path = write(tmp_path / "solver.prototxt", solver_text(net_path, tmp_path / "cli", 100))
    result = run_cli("train", f"--solver={solver_path}")
    losses = [float(v) for v in re.findall(r"Iteration \d+\b[^\n]*?, loss = ([0-9.e+-]+)", result.stderr)]
    assert losses, result.stderr[-2000:]
    assert losses[0] == pytest.approx(np.log(10), rel=0.05) and losses[-1] < 0.7 * losses[0], losses
    assert (tmp_path / "cli_iter_100.caffemodel").exists()
    # The Python-trained weights load in a Python net and classify.
    net = hwgq.Net(net_path, weights=str(tmp_path / "cli_iter_100.caffemodel"), phase=hwgq.TEST)
    assert float(net.forward()["accuracy"]) > 0.6


LOSS_NET = """
name: "python_loss"
force_backward: true
layer { name: "data" type: "Input" top: "a" top: "b"
        input_param { shape { dim: 3 dim: 4 } shape { dim: 3 dim: 4 } } }
layer { name: "scale" type: "Python" bottom: "a" top: "scaled"
        python_param { module: "test_layers" layer: "Scale" } }
layer { name: "loss" type: "Python" bottom: "scaled" bottom: "b" top: "loss" loss_weight: 1
        python_param { module: "test_layers" layer: "EuclideanLoss" param_str: "1.5" } }
"""


def test_python_loss_gradient_passes_the_numeric_check(tmp_path):
    net = hwgq.Net(write(tmp_path / "loss.prototxt", LOSS_NET))
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)

    def loss_at(a_values, weight=None):
        if weight is not None:
            net.params["scale"][0].data[0] = weight
        return float(net.forward(a=a_values, b=b)["loss"][0])

    loss = loss_at(a)
    expected = 1.5 * np.sum((2.0 * a - b) ** 2) / 3 / 2
    assert loss == pytest.approx(expected, rel=1e-5)
    net.clear_param_diffs()
    net.backward()
    analytic_a = net.blobs["a"].diff.copy()
    analytic_b = net.blobs["b"].diff.copy()
    analytic_w = float(net.params["scale"][0].diff[0])
    step = 1e-2
    for analytic, which in ((analytic_a, "a"), (analytic_b, "b")):
        for index in np.ndindex(a.shape):
            values = {"a": a, "b": b}
            shifted = {}
            for sign in (1, -1):
                x = values[which].copy()
                x[index] += sign * step
                args = (x, b) if which == "a" else (a, x)
                shifted[sign] = float(net.forward(a=args[0], b=args[1])["loss"][0])
            numeric = (shifted[1] - shifted[-1]) / (2 * step)
            assert analytic[index] == pytest.approx(numeric, rel=1e-2, abs=1e-3), (which, index)
    numeric_w = (loss_at(a, 2.0 + step) - loss_at(a, 2.0 - step)) / (2 * step)
    assert analytic_w == pytest.approx(numeric_w, rel=1e-2, abs=1e-3)


def test_python_layer_weights_are_saved_and_loaded(tmp_path):
    path = write(tmp_path / "loss.prototxt", LOSS_NET)
    net = hwgq.Net(path)
    assert [blob.shape for blob in net.params["scale"]] == [(1,)]
    net.params["scale"][0].data[0] = 5.0
    net.save(str(tmp_path / "w.caffemodel"))
    again = hwgq.Net(path, weights=str(tmp_path / "w.caffemodel"))
    assert float(again.params["scale"][0].data[0]) == 5.0
