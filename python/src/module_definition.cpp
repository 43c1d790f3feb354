#include "bindings.hpp"
#include "hwgq/common.hpp"
#include "hwgq/proto/hwgq.pb.h"
#include "python_layer.hpp"

namespace py = pybind11;

namespace hwgq::python {

void define_module(py::module_& module) {
  module.doc() = "hwgq's C++ core; import hwgq for the pycaffe-shaped API built on it.";
  // Every hwgq::Error raised below reaches Python as hwgq.Error with the same message.
  py::register_exception<Error>(module, "Error", PyExc_RuntimeError);
  module.attr("TRAIN") = static_cast<int>(TRAIN);
  module.attr("TEST") = static_cast<int>(TEST);
  define_blob(module);
  define_net(module);
  define_solver(module);
  define_deploy(module);
  define_mode(module);
  define_image(module);
  register_python_layer();
}

}  // namespace hwgq::python
