"""Bad input raises an exception with hwgq's message; nothing aborts the interpreter."""
import numpy as np
import pytest

import hwgq
from conftest import write

INPUT_NET = """
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 2 } }
"""


def test_error_is_a_runtime_error():
    assert issubclass(hwgq.Error, RuntimeError)


def test_missing_prototxt(tmp_path):
    with pytest.raises(hwgq.Error, match="nothing.prototxt"):
        hwgq.Net(str(tmp_path / "nothing.prototxt"))


def test_bad_prototxt_names_line_and_column(tmp_path):
    path = write(tmp_path / "bad.prototxt", 'layer { name: "x" type: "Input" top: "x" \n  bogus_field: 3 }\n')
    with pytest.raises(hwgq.Error, match=r"bad.prototxt.*2"):
        hwgq.Net(path)


def test_unknown_layer_type(tmp_path):
    path = write(tmp_path / "unknown.prototxt", 'layer { name: "x" type: "NoSuchType" top: "x" }\n')
    with pytest.raises(hwgq.Error, match="NoSuchType"):
        hwgq.Net(path)


def test_missing_weights(tmp_path):
    path = write(tmp_path / "net.prototxt", INPUT_NET)
    with pytest.raises(hwgq.Error, match="missing.caffemodel"):
        hwgq.Net(path, weights=str(tmp_path / "missing.caffemodel"))


def test_bad_arguments(tmp_path):
    path = write(tmp_path / "net.prototxt", INPUT_NET)
    with pytest.raises(hwgq.Error, match="phase"):
        hwgq.Net(path, phase=7)
    with pytest.raises(hwgq.Error, match="path"):
        hwgq.Net(path, weights=3.5)
    net = hwgq.Net(path)
    with pytest.raises(ValueError, match="not inputs"):
        net.forward(image=np.zeros((1, 2)))
    with pytest.raises(KeyError):
        net.blobs["nope"]
    with pytest.raises(KeyError, match="no layer"):
        net.forward(start="nope")
    with pytest.raises(hwgq.Error, match="not a range"):
        net._forward(0, 99)
    with pytest.raises(hwgq.Error, match="not a range"):
        net._backward(5, 0)
    with pytest.raises(hwgq.Error, match="negative|out of range"):
        net.blobs["data"].reshape(-1, 2)
    with pytest.raises(hwgq.Error):
        net.blobs["data"].reshape("a")
    with pytest.raises(ValueError, match="shape"):
        net.backward(ip=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="empty"):
        net.forward(data=np.zeros((0, 2)))


def test_python_layer_errors(tmp_path):
    broken = write(tmp_path / "broken.prototxt", """
layer { name: "broken" type: "Python" top: "x" python_param { module: "test_layers" layer: "Broken" } }
""")
    net = hwgq.Net(broken)
    with pytest.raises(ZeroDivisionError, match="broken on purpose"):
        net.forward()
    missing_module = write(tmp_path / "m.prototxt", """
layer { name: "m" type: "Python" top: "x" python_param { module: "no_such_module_xyz" layer: "L" } }
""")
    with pytest.raises(ModuleNotFoundError):
        hwgq.Net(missing_module)
    no_forward = write(tmp_path / "nf.prototxt", """
layer { name: "lazy" type: "Python" top: "x" python_param { module: "test_layers" layer: "NoForward" } }
""")
    with pytest.raises(NotImplementedError, match="'lazy' \\(NoForward\\) has no forward"):
        hwgq.Net(no_forward).forward()
    no_param = write(tmp_path / "n.prototxt", 'layer { name: "n" type: "Python" top: "x" }\n')
    with pytest.raises(hwgq.Error, match="python_param"):
        hwgq.Net(no_param)


def test_cli_reports_python_layer_errors(tmp_path, run_cli):
    broken = write(tmp_path / "broken.prototxt", """
layer { name: "broken" type: "Python" top: "x" python_param { module: "test_layers" layer: "Broken" } }
""")
    result = run_cli("test", f"--model={broken}", "--iterations=1", check=False)
    assert result.returncode == 1
    assert "broken on purpose" in result.stderr and "ZeroDivisionError" in result.stderr
    missing = write(tmp_path / "m.prototxt", """
layer { name: "m" type: "Python" top: "x" python_param { module: "no_such_module_xyz" layer: "L" } }
""")
    result = run_cli("test", f"--model={missing}", "--iterations=1", check=False)
    assert result.returncode == 1 and "no_such_module_xyz" in result.stderr


def test_solver_errors(tmp_path):
    with pytest.raises(hwgq.Error, match="solver.prototxt"):
        hwgq.get_solver(str(tmp_path / "solver.prototxt"))
    bad = write(tmp_path / "bad_solver.prototxt", 'net: "x.prototxt"\nbase_lr: -1\n')
    with pytest.raises(hwgq.Error):
        hwgq.SGDSolver(bad)


def test_mode_errors():
    if not hwgq.cuda_compiled() or hwgq.device_count() == 0:
        with pytest.raises(hwgq.Error):
            hwgq.set_mode_gpu()
    with pytest.raises(hwgq.Error):
        hwgq.set_device(-1)


def test_deploy_function_errors(tmp_path):
    with pytest.raises(hwgq.Error, match="positive level"):
        hwgq.design_quantizer(0)
    with pytest.raises(hwgq.Error, match="uniform"):
        hwgq.design_quantizer(3, method="fancy")
    with pytest.raises(hwgq.Error, match="positive"):
        hwgq.design_quantizer(3, samples=np.zeros(10, dtype=np.float32))
    with pytest.raises(hwgq.Error):
        hwgq.PackedModel(str(tmp_path / "missing.hwgq"))
    not_packed = write(tmp_path / "not_packed.hwgq", "definitely not a packed model")
    with pytest.raises(hwgq.Error):
        hwgq.PackedModel(not_packed)
    with pytest.raises(hwgq.Error, match="no such|cannot|missing"):
        hwgq.load_image(str(tmp_path / "missing.png"))
    with pytest.raises(hwgq.Error, match="uint8"):
        hwgq.save_image(str(tmp_path / "x.png"), np.zeros((2, 2, 5)))
