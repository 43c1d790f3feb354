// hwgq.Blob: shape, reshape and NumPy views of data and diff, as pycaffe's Blob.
#include <pybind11/stl.h>

#include <memory>
#include <vector>

#include "bindings.hpp"
#include "blob_view.hpp"
#include "hwgq/blob.hpp"
#include "hwgq/common.hpp"

namespace py = pybind11;

namespace hwgq::python {
namespace {

std::vector<int> shape_from_args(const py::args& args) {
  // reshape(2, 3) and reshape((2, 3)) both work, as in pycaffe.
  py::sequence dims = args;
  if (args.size() == 1 && py::isinstance<py::sequence>(args[0])) dims = args[0].cast<py::sequence>();
  std::vector<int> shape;
  for (const auto& dim : dims) {
    HWGQ_REQUIRE(py::isinstance<py::int_>(dim) && !py::isinstance<py::bool_>(dim),
                 "reshape takes integer dimensions, got " << py::str(py::repr(dim)).cast<std::string>());
    const long long value = dim.cast<long long>();
    HWGQ_REQUIRE(value >= 0 && value <= INT32_MAX, "blob dimension " << value << " is out of range");
    shape.push_back(static_cast<int>(value));
  }
  return shape;
}

}  // namespace

void define_blob(py::module_& module) {
  py::class_<Blob, std::shared_ptr<Blob>>(module, "Blob",
                                          "An N-d float32 tensor: values (data) and gradients (diff).")
      .def(py::init([](const py::args& args) { return std::make_shared<Blob>(shape_from_args(args)); }))
      .def_property_readonly(
          "data", [](Blob& blob) { return blob_view(blob, false); },
          "The values as a NumPy view of the blob's memory (writable, no copy).")
      .def_property_readonly(
          "diff", [](Blob& blob) { return blob_view(blob, true); },
          "The gradients as a NumPy view of the blob's memory (writable, no copy).")
      .def_property_readonly("shape", [](const Blob& blob) { return py::tuple(py::cast(blob.shape())); })
      .def_property_readonly("count", [](const Blob& blob) { return blob.count(); })
      .def_property_readonly("num", &Blob::num)
      .def_property_readonly("channels", &Blob::channels)
      .def_property_readonly("height", &Blob::height)
      .def_property_readonly("width", &Blob::width)
      .def(
          "reshape", [](Blob& blob, const py::args& args) { blob.reshape(shape_from_args(args)); },
          "Changes the shape (reshape(2, 3) or reshape((2, 3))); views taken before stay valid but may no "
          "longer alias the blob.")
      .def("__len__", [](const Blob& blob) { return blob.num_axes() > 0 ? blob.shape(0) : 0; })
      .def("__repr__", [](const Blob& blob) { return "<hwgq.Blob " + blob.shape_string() + ">"; });
}

}  // namespace hwgq::python
