#include "python_layer.hpp"

#include <pybind11/stl.h>

#include <string>

#include "hwgq/layer_registry.hpp"
#include "interpreter_host.hpp"

namespace py = pybind11;

namespace hwgq::python {
namespace {

// Blob wrappers that do not own the net's blobs: valid while the call runs, as in pycaffe.
py::list wrap(const BlobVec& blobs) {
  py::list list;
  for (Blob* blob : blobs) list.append(py::cast(blob, py::return_value_policy::reference));
  return list;
}

// "ZeroDivisionError: message" on one line, for hwgq::Error.
std::string describe(py::error_already_set& error) {
  std::string text = py::str(error.type().attr("__name__")).cast<std::string>();
  const std::string message = py::str(error.value()).cast<std::string>();
  if (!message.empty()) text += ": " + message;
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

PythonLayer::PythonLayer(const LayerParameter& param) : TypedLayer(param) {}

PythonLayer::~PythonLayer() {
  if (!self_ || !Py_IsInitialized()) return;
  py::gil_scoped_acquire gil;
  // The object may outlive this layer (a script kept it): its blob list must then refuse
  // use rather than reach a layer that is gone.
  try {
    py::object blobs = self_.attr("blobs");
    if (py::hasattr(blobs, "_detach")) blobs.attr("_detach")();
  } catch (py::error_already_set&) {
  }
  self_ = py::object();
}

template <class... Args>
void PythonLayer::call(const char* method, Args&&... args) {
  py::gil_scoped_acquire gil;
  std::string failure;
  try {
    self_.attr(method)(std::forward<Args>(args)...);
    return;
  } catch (py::error_already_set& error) {
    if (python_exceptions_propagate()) throw;
    failure = describe(error);
  }
  HWGQ_FAIL(where() << "Python " << method << "() raised " << failure);
}

void PythonLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const PythonParameter& p = param_.python_param();
  HWGQ_REQUIRE(!p.module().empty() && !p.layer().empty(),
               where() << "needs python_param { module: \"...\" layer: \"...\" }");
  ensure_interpreter();
  py::gil_scoped_acquire gil;
  std::string failure;
  try {
    py::object cls = py::module_::import(p.module().c_str()).attr(p.layer().c_str());
    self_ = cls();
    self_.attr("param_str") = p.param_str();
    self_.attr("phase") = static_cast<int>(phase());
    self_.attr("name") = name();
    self_.attr("blobs") = py::module_::import("hwgq").attr("LayerBlobs")(py::cast(
        static_cast<Layer*>(this), py::return_value_policy::reference));
  } catch (py::error_already_set& error) {
    if (python_exceptions_propagate()) throw;
    failure = describe(error);
  }
  HWGQ_REQUIRE(failure.empty(), where() << "cannot make " << p.module() << "." << p.layer() << ": " << failure);
  call("setup", wrap(bottom), wrap(top));
}

// Each entry point takes the GIL before it makes the blob lists; call() takes it again.
void PythonLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  py::gil_scoped_acquire gil;
  call("reshape", wrap(bottom), wrap(top));
}

void PythonLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  py::gil_scoped_acquire gil;
  call("forward", wrap(bottom), wrap(top));
}

void PythonLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  py::gil_scoped_acquire gil;
  call("backward", wrap(top), py::cast(propagate_down), wrap(bottom));
}

void register_python_layer() { register_layer_type(layer_entry<PythonLayer>()); }

}  // namespace hwgq::python
