// The quantizer designer, binary weights and the packed deploy format as functions: what
// `hwgq quantizer`, `hwgq binarize`, `hwgq export` and `hwgq infer` do, for scripts.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "blob_view.hpp"
#include "hwgq/deploy/binary_weight_export.hpp"
#include "hwgq/deploy/deploy_net.hpp"
#include "hwgq/deploy/lowered_model.hpp"
#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/deploy/packed_runtime.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/lower_to_packed.hpp"
#include "hwgq/quant/binarize.hpp"
#include "hwgq/quant/quantizer_design.hpp"
#include "hwgq/util/io.hpp"

namespace py = pybind11;

namespace hwgq::python {
namespace {

py::dict design_quantizer(int levels, const std::string& method, const py::object& samples) {
  HWGQ_REQUIRE(levels >= 1, "design_quantizer needs at least 1 positive level, got " << levels);
  const QuantizerMethod kind = parse_quantizer_method(method);
  QuantizerDesign design;
  if (samples.is_none()) {
    design = design_half_gaussian(levels, kind);
  } else {
    const auto values = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(samples);
    HWGQ_REQUIRE(values, "design_quantizer: samples must be an array of numbers");
    const std::vector<float> copy(values.data(), values.data() + values.size());
    design = design_from_samples(copy, levels, kind);
  }
  py::dict result;
  result["method"] = quantizer_method_name(design.method);
  result["levels"] = design.levels;
  result["thresholds"] = design.thresholds;
  result["step"] = design.step;
  result["mse"] = design.mse;
  result["iterations"] = design.iterations;
  return result;
}

// Rows are the first axis (output filters), as in a Convolution or InnerProduct weight.
py::tuple binarize_weights(const py::object& weights, bool use_alpha) {
  const auto w = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(weights);
  HWGQ_REQUIRE(w && w.ndim() >= 1, "binarize_weights needs an array with at least one axis (rows first)");
  const int rows = static_cast<int>(w.shape(0));
  HWGQ_REQUIRE(rows > 0, "binarize_weights needs at least one row");
  const int cols = static_cast<int>(w.size() / rows);
  std::vector<py::ssize_t> shape(w.shape(), w.shape() + w.ndim());
  py::array_t<float> out(shape);
  py::array_t<float> alphas(rows);
  binarize_rows(w.data(), rows, cols, use_alpha, out.mutable_data(), alphas.mutable_data());
  return py::make_tuple(out, alphas);
}

py::dict binarize(const std::string& model_path, const std::string& weights_path, const std::string& net_out,
                  const std::string& weights_out) {
  NetParameter model;
  read_text_proto(model_path, &model);
  NetBuildOptions options = inference_options();
  options.origin = model_path;
  options.weights = {weights_path};
  const BinarizedModel exported = binarize_model(model, *build_net(model, options));
  HWGQ_REQUIRE(exported.binarized_layers > 0, model_path << " has no BinaryConvolution or BinaryInnerProduct layer");
  write_text_proto(exported.net, net_out);
  write_binary_proto(exported.weights, weights_out);
  // The check `hwgq binarize` makes: both forms, built afresh from files, on one batch.
  Context::get().set_random_seed(1);
  const auto original = build_net(model, options);
  Context::get().set_random_seed(1);
  NetBuildOptions plain_options = inference_options();
  plain_options.origin = net_out;
  plain_options.weights = {weights_out};
  const auto plain = build_net(net_out, plain_options);
  const float difference = max_output_difference(*original, *plain);
  if (!(difference == 0.f)) {
    std::remove(net_out.c_str());
    std::remove(weights_out.c_str());
    HWGQ_FAIL("the binarized model's outputs differ from the original's by " << difference
                                                                             << "; nothing was written");
  }
  py::dict result;
  result["binarized_layers"] = exported.binarized_layers;
  result["max_difference"] = difference;
  return result;
}

py::dict export_packed(const std::string& model_path, const std::string& weights_path, const std::string& output) {
  HWGQ_REQUIRE(Context::get().mode() == Mode::CPU, "export_packed runs on the CPU (call hwgq.set_mode_cpu())");
  LoweredModel lowered = lower_model_file(model_path, weights_path);
  take_train_val_transform(&lowered, model_path);
  PackedModelProto& packed = lowered.packed;
  const PackedModelReport& report = lowered.report;
  packed.set_producer("hwgq python");
  write_packed_model(packed, output);
  py::dict result;
  result["packed_layers"] = report.packed_layers();
  result["float_bytes"] = report.float_bytes();
  result["stored_bytes"] = report.stored_bytes();
  result["report"] = report.to_text();
  return result;
}

// The output of one packed forward pass on `input` (N x C x H x W), as a new array.
py::array packed_forward(PackedRuntime& runtime, const py::object& input) {
  const auto x = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(input);
  HWGQ_REQUIRE(x, "PackedModel.forward needs an array of numbers");
  HWGQ_REQUIRE(x.ndim() >= 1 && x.shape(0) > 0, "PackedModel.forward needs a batch of at least one input");
  Blob& blob = runtime.input();
  std::vector<int> shape(x.shape(), x.shape() + x.ndim());
  if (shape != blob.shape()) {
    HWGQ_REQUIRE(x.ndim() == blob.num_axes() &&
                     std::equal(shape.begin() + 1, shape.end(), blob.shape().begin() + 1),
                 "PackedModel.forward: input of shape " << shape_string(shape) << " does not fit the model's input "
                                                        << blob.shape_string() << " (only the batch may differ)");
    blob.reshape(shape);
    runtime.net().reshape();
  }
  std::copy_n(x.data(), x.size(), blob.mutable_cpu_data());
  Blob& output = const_cast<Blob&>(runtime.forward());
  return blob_view(output, false).attr("copy")();
}

}  // namespace

void define_deploy(py::module_& module) {
  module.def("design_quantizer", &design_quantizer, py::arg("levels"), py::arg("method") = "uniform",
             py::arg("samples") = py::none(),
             "The HWGQ activation quantizer with `levels` positive levels ('uniform' or 'lloyd'), for the "
             "half-wave Gaussian or for recorded activations (`samples`).");
  module.def("binarize_weights", &binarize_weights, py::arg("weights"), py::arg("use_alpha") = true,
             "(alpha_i * sign(W[i]), alphas) for each row i (the first axis).");
  module.def("binarize", &binarize, py::arg("model"), py::arg("weights"), py::arg("net_out"),
             py::arg("weights_out"),
             "Writes the deploy form of a binary-weight model (binary layers made plain, holding alpha * sign(W)) "
             "after checking that it computes exactly what the original computes.");
  module.def("export_packed", &export_packed, py::arg("model"), py::arg("weights"), py::arg("output"),
             "Writes a packed model file (hwgq export) from a deploy or train_val prototxt and its weights.");

  py::class_<PackedRuntime>(module, "PackedModel", "A packed model file loaded for inference (hwgq infer).")
      .def(py::init<const std::string&, int>(), py::arg("path"), py::arg("batch_size") = 0)
      .def_property_readonly(
          "net", [](PackedRuntime& runtime) { return &runtime.net(); }, py::return_value_policy::reference_internal)
      .def_property_readonly("input_shape", [](PackedRuntime& runtime) { return runtime.input().shape(); })
      .def_property_readonly("packed_layers", &PackedRuntime::packed_layers)
      .def_property_readonly("weight_bytes", &PackedRuntime::weight_bytes)
      .def_property_readonly("transform",
                             [](const PackedRuntime& runtime) {
                               const TransformationParameter& t = runtime.transform();
                               py::dict result;
                               result["scale"] = t.scale();
                               result["crop_size"] = t.crop_size();
                               result["mean_value"] = std::vector<float>(t.mean_value().begin(), t.mean_value().end());
                               return result;
                             })
      .def("forward", &packed_forward, py::arg("input"), "Runs the model on a batch; returns the scores (a copy).");
}

}  // namespace hwgq::python
