// The bindings of hwgq::_hwgq, one function per area, each in its own file.
#pragma once

#include <pybind11/pybind11.h>

namespace hwgq::python {

// Everything below, plus the error class, constants and the Python layer's registration.
void define_module(pybind11::module_& module);

void define_blob(pybind11::module_& module);    // Blob, NumPy views, a layer's weights
void define_net(pybind11::module_& module);     // Net, Layer
void define_solver(pybind11::module_& module);  // Solver and its kinds
void define_deploy(pybind11::module_& module);  // quantizer design, binarize, packed export/inference
void define_mode(pybind11::module_& module);    // CPU/GPU mode, device, seed
void define_image(pybind11::module_& module);   // JPEG / PNG files as NumPy arrays

}  // namespace hwgq::python
