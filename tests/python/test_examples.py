"""The scripts in examples/ run as docs/python.md shows them."""
import subprocess
import sys

import numpy as np

import hwgq
from conftest import REPO_ROOT, write
from test_layers import read_idx
from test_net import SMALL_NET

EXAMPLES = REPO_ROOT / "examples"


def run_example(script, *args, cwd=REPO_ROOT):
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)], cwd=cwd,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_classify_prints_the_nets_top5(tmp_path, trained_lenet, fashion_mnist):
    _, weights = trained_lenet
    images = read_idx(fashion_mnist / "t10k-images-idx3-ubyte.gz")
    hwgq.save_image(str(tmp_path / "item.png"), images[0])
    deploy = EXAMPLES / "fashion_mnist_deploy.prototxt"
    out = run_example("classify.py", "--model", deploy, "--weights", weights, "--labels",
                      EXAMPLES / "fashion_mnist_labels.txt", "--scale", 0.00390625, tmp_path / "item.png")
    lines = out.strip().splitlines()
    assert len(lines) == 5, out
    net = hwgq.Net(str(deploy), weights=weights)
    prob = net.forward(data=images[:1, None].astype(np.float32) / 256.0)["prob"][0]
    ranked = np.argsort(-prob)
    for line, index in zip(lines, ranked[:5]):
        assert f"class {index} " in line + " ", (line, index)
        assert abs(float(line.split()[1]) - prob[index]) <= 6e-5, (line, prob[index])
    assert lines[0].endswith(open(EXAMPLES / "fashion_mnist_labels.txt").read().splitlines()[ranked[0]])


def test_net_surgery_script(tmp_path):
    source = write(tmp_path / "a.prototxt", SMALL_NET % {"ip": "ip1", "out": "ip2"})
    target = write(tmp_path / "b.prototxt", SMALL_NET % {"ip": "fc_a", "out": "fc_b"})
    net = hwgq.Net(source)
    net.save(str(tmp_path / "a.caffemodel"))
    out = run_example("net_surgery.py", "--source-model", source, "--source-weights", tmp_path / "a.caffemodel",
                      "--target-model", target, "--rename", "ip1:fc_a", "--rename", "ip2:fc_b",
                      "--output", tmp_path / "b.caffemodel")
    assert "max |source - target| output: 0.0" in out
    moved = hwgq.Net(target, weights=str(tmp_path / "b.caffemodel"))
    for old, new in (("ip1", "fc_a"), ("ip2", "fc_b")):
        for a, b in zip(net.params[old], moved.params[new]):
            np.testing.assert_array_equal(a.data, b.data)


def test_python_data_layer_example_trains(tmp_path):
    # A copy of the solver writing its snapshot under tmp_path; paths stay repository-relative.
    solver = (EXAMPLES / "python_data_solver.prototxt").read_text().replace(
        'snapshot_prefix: "out/examples/python_data"', f'snapshot_prefix: "{tmp_path / "python_data"}"')
    solver_path = write(tmp_path / "solver.prototxt", solver)
    out = run_example("train_python_data.py", "--solver", solver_path, "--iterations", 300, "--test-batches", 20)
    accuracy = float(out.split("test accuracy over 20 batches: ")[1].split()[0])
    assert accuracy > 0.7, out
    assert (tmp_path / "python_data_iter_300.caffemodel").exists()
