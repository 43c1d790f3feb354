"""The quantizer designer, binary weights and the packed format from Python agree with
the CLI and with the float nets."""
import re

import numpy as np
import pytest

import hwgq
from conftest import REPO_ROOT, write


@pytest.mark.parametrize("method", ["uniform", "lloyd"])
def test_design_quantizer_matches_cli(run_cli, method):
    design = hwgq.design_quantizer(3, method=method)
    out = run_cli("quantizer", "--levels=3", f"--method={method}").stdout
    rows = re.findall(r"^\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)$", out, re.M)
    assert len(rows) == 3
    np.testing.assert_allclose(design["levels"], [float(r[1]) for r in rows], atol=1e-6)
    np.testing.assert_allclose(design["thresholds"], [float(r[2]) for r in rows], atol=1e-6)
    assert design["thresholds"][0] == 0.0
    assert design["mse"] == pytest.approx(float(re.search(r"MSE\s+([0-9.e+-]+)", out).group(1)), rel=1e-5)


def test_design_from_samples_fits_them():
    samples = np.random.default_rng(0).standard_normal(20000).astype(np.float32) * 3.0
    design = hwgq.design_quantizer(3, "uniform", samples=samples)
    ideal = hwgq.design_quantizer(3, "uniform")
    assert design["step"] == pytest.approx(3.0 * ideal["step"], rel=0.05)  # scales with the data


def test_binarize_weights():
    w = np.array([[0.5, -1.5, 1.0], [-2.0, 0.0, 4.0]], dtype=np.float32)
    binary, alphas = hwgq.binarize_weights(w)
    np.testing.assert_allclose(alphas, [1.0, 2.0])
    np.testing.assert_array_equal(binary, [[1, -1, 1], [-2, 2, 2]])
    plain, _ = hwgq.binarize_weights(w, use_alpha=False)
    np.testing.assert_array_equal(plain, np.where(w >= 0, 1, -1))


@pytest.fixture(scope="module")
def trained_hwgq_lenet(tmp_path_factory, fashion_mnist):
    folder = tmp_path_factory.mktemp("hwgq_lenet")
    model = REPO_ROOT / "models" / "fashion_mnist" / "lenet-hwgq-relu" / "train_val.prototxt"
    solver = hwgq.get_solver(write(folder / "solver.prototxt", f"""net: "{model}"
base_lr: 0.01
lr_policy: "fixed"
momentum: 0.9
max_iter: 40
snapshot_prefix: "{folder / 'hwgq'}"
random_seed: 1
"""))
    solver.step(40)
    return str(model), solver.snapshot(), folder


def test_export_and_packed_inference_match_the_float_net(trained_hwgq_lenet):
    model, weights, folder = trained_hwgq_lenet
    report = hwgq.export_packed(model, weights, str(folder / "lenet.hwgq"))
    assert report["packed_layers"] > 0 and report["stored_bytes"] < report["float_bytes"]
    packed = hwgq.PackedModel(str(folder / "lenet.hwgq"))
    float_net = hwgq.Net(model, weights=weights, phase=hwgq.TEST)
    float_net.forward()
    images = float_net.blobs["data"].data.copy()
    expected = float_net.blobs[float_net.bottom_names["accuracy"][0]].data.copy()
    scores = packed.forward(images)
    assert scores.shape == expected.shape
    spread = float(expected.max() - expected.min())
    assert np.max(np.abs(scores - expected)) <= 1e-3 * spread
    assert np.mean(scores.argmax(1) == expected.argmax(1)) >= 0.98
    with pytest.raises(hwgq.Error, match="does not fit"):
        packed.forward(images[:, :, :20])


def test_binarize_writes_an_equivalent_plain_model(trained_hwgq_lenet):
    model, weights, folder = trained_hwgq_lenet
    result = hwgq.binarize(model, weights, str(folder / "bw.prototxt"), str(folder / "bw.caffemodel"))
    assert result["binarized_layers"] >= 2 and result["max_difference"] == 0.0
    plain = hwgq.Net(str(folder / "bw.prototxt"), weights=str(folder / "bw.caffemodel"))
    assert "BinaryConvolution" not in {layer.type for layer in plain.layers}
