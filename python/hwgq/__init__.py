"""hwgq from Python, in pycaffe's shape.

    import hwgq
    net = hwgq.Net("deploy.prototxt", weights="trained.caffemodel", phase=hwgq.TEST)
    out = net.forward(data=images)              # {output name: NumPy view}
    net.blobs["conv1"].data                     # NumPy view of the blob's memory
    net.params["conv1"][0].data[...] *= 0.5     # net surgery in place

    solver = hwgq.get_solver("solver.prototxt")
    solver.step(100)

Every hwgq error is raised as hwgq.Error (a RuntimeError) with the library's message.
docs/python.md has the whole API.
"""
import os as _os

# OpenMP threads spin briefly and then sleep, as in the hwgq tool (docs/user_guide.md):
# GNU OpenMP reads this once, when the extension loads it, unless the user chose already.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = "1000"

from ._native import native as _native  # noqa: E402
from .layer import Layer, LayerBlobs
from . import net as _net_methods  # noqa: F401  (adds blobs, params, forward, ... to Net)

Error = _native.Error
TRAIN = _native.TRAIN
TEST = _native.TEST

Blob = _native.Blob
Net = _native.Net

Solver = _native.Solver
SGDSolver = _native.SGDSolver
NesterovSolver = _native.NesterovSolver
AdamSolver = _native.AdamSolver
get_solver = _native.get_solver

set_mode_cpu = _native.set_mode_cpu
set_mode_gpu = _native.set_mode_gpu
set_device = _native.set_device
set_random_seed = _native.set_random_seed
cuda_compiled = _native.cuda_compiled
device_count = _native.device_count

design_quantizer = _native.design_quantizer
binarize_weights = _native.binarize_weights
binarize = _native.binarize
export_packed = _native.export_packed
PackedModel = _native.PackedModel

load_image = _native.load_image
save_image = _native.save_image

__all__ = [
    "Error", "TRAIN", "TEST", "Blob", "Net", "Layer", "LayerBlobs",
    "Solver", "SGDSolver", "NesterovSolver", "AdamSolver", "get_solver",
    "set_mode_cpu", "set_mode_gpu", "set_device", "set_random_seed", "cuda_compiled", "device_count",
    "design_quantizer", "binarize_weights", "binarize", "export_packed", "PackedModel",
    "load_image", "save_image",
]
