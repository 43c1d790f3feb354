"""Shared fixtures of the Python test suite (run by scripts/test_python.sh).

The hwgq package comes from wherever Python finds it (an installed wheel, or a build tree's
python/ folder on PYTHONPATH); the CLI from $HWGQ_CLI, else build/bin/hwgq."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent.parent
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def cli_path():
    path = os.environ.get("HWGQ_CLI") or str(REPO_ROOT / "build" / "bin" / "hwgq")
    return path


@pytest.fixture(scope="session")
def hwgq_cli():
    path = cli_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"no hwgq CLI at {path}; set HWGQ_CLI to the binary (built with -DHWGQ_PYTHON=ON)")
    return path


@pytest.fixture(scope="session")
def run_cli(hwgq_cli):
    """run_cli(args..., cwd=...) -> CompletedProcess; the tests' layer modules are importable."""

    def run(*args, cwd=None, check=True):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")])
        if sys.prefix != sys.base_prefix:  # this venv's NumPy for the CLI's interpreter
            env["VIRTUAL_ENV"] = sys.prefix
        result = subprocess.run([hwgq_cli, *args], cwd=cwd, env=env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"hwgq {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result

    return run


@pytest.fixture(scope="session")
def fashion_mnist():
    if not (FASHION_MNIST / "t10k-images-idx3-ubyte.gz").exists():
        pytest.fail(f"Fashion-MNIST is not at {FASHION_MNIST} (scripts/install_deps.sh installs it)")
    return FASHION_MNIST


LENET_ITERATIONS = 200


@pytest.fixture(scope="session")
def trained_lenet(tmp_path_factory, run_cli, fashion_mnist):
    """(train_val prototxt, weights) of models/fashion_mnist/lenet after a short `hwgq train`."""
    folder = tmp_path_factory.mktemp("lenet")
    model = REPO_ROOT / "models" / "fashion_mnist" / "lenet" / "train_val.prototxt"
    solver = write(folder / "solver.prototxt", f"""net: "{model}"
base_lr: 0.01
lr_policy: "fixed"
momentum: 0.9
weight_decay: 0.0005
display: 100
max_iter: {LENET_ITERATIONS}
snapshot_prefix: "{folder / 'lenet'}"
random_seed: 1
""")
    run_cli("train", f"--solver={solver}")
    weights = folder / f"lenet_iter_{LENET_ITERATIONS}.caffemodel"
    assert weights.exists()
    return str(model), str(weights)


def write(path, text):
    path = Path(path)
    path.write_text(text)
    return str(path)


@pytest.fixture(autouse=True)
def cpu_mode():
    import hwgq

    hwgq.set_mode_cpu()
    yield


sys.path.insert(0, str(TESTS_DIR))
