// The "Python" layer type: python_param { module layer param_str } names a class whose
// setup / reshape / forward / backward run in Python, as Caffe's Python layer does.
#pragma once

#include <pybind11/pybind11.h>

#include "hwgq/layer.hpp"

namespace hwgq::python {

// Hidden like the pybind11 object it holds, so the compiler need not warn that the class
// is more visible than its member; nothing outside hwgq uses it directly.
class __attribute__((visibility("hidden"))) PythonLayer : public TypedLayer<PythonLayer> {
 public:
  static constexpr const char* kType = "Python";
  explicit PythonLayer(const LayerParameter& param);
  ~PythonLayer() override;

  // Imports the module, makes the layer object and calls its setup.
  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  // Calls self.<method>(args...) with the GIL held; Python errors become hwgq::Error
  // naming this layer where they cannot travel up as they are (the CLI).
  template <class... Args>
  void call(const char* method, Args&&... args);

  pybind11::object self_;
};

// Adds "Python" to the layer types (hwgq/layer_registry.hpp); idempotent.
void register_python_layer();

}  // namespace hwgq::python
