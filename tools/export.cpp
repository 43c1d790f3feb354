// hwgq export: a trained deploy net to one packed model file (docs/packed_model.md), with a
// size report and a check that the packed model computes what the float net computes.
#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <random>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/deploy/deploy_net.hpp"
#include "hwgq/deploy/lowered_model.hpp"
#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/deploy/packed_runtime.hpp"
#include "hwgq/deploy/packed_verification.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/lower_to_packed.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/util/io.hpp"

DEFINE_string(transform_from, "",
              "export: a train_val prototxt whose TEST-phase data layer's transform_param (scale, mean_value, "
              "crop_size) is stored for `hwgq infer` (implied when --model is itself a train_val)");
DEFINE_int32(verify, 0,
             "export from a train_val: compare float and packed predictions on this many TEST batches "
             "(-1: one pass over the data source)");

namespace hwgq::cli {

namespace {

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec) && std::filesystem::equivalent(a, b, ec);
}

// The transform_param of the first TEST-phase data layer of a train_val prototxt.
TransformationParameter transform_from(const std::string& path) {
  NetParameter train_val;
  read_text_proto(path, &train_val);
  NetState state;
  state.set_phase(TEST);
  const NetParameter test_net = filter_net(train_val, state);
  for (const auto& layer : test_net.layer()) {
    if (!layer.has_transform_param()) continue;
    const TransformationParameter& transform = layer.transform_param();
    HWGQ_REQUIRE(!transform.has_mean_file(),
                 path << ": layer \"" << layer.name() << "\" subtracts a mean_file, which a packed model does not "
                      << "store; give its per-channel mean_value instead");
    HWGQ_REQUIRE(!transform.mirror(), path << ": layer \"" << layer.name()
                                           << "\" mirrors its TEST inputs; inference takes each image once");
    return transform;
  }
  HWGQ_FAIL(path << " has no TEST-phase layer with a transform_param");
}

// Largest |a - b| over two blobs of the same size, and how many of the N rows have the same
// arg-max (the predicted class).
void compare_outputs(const Blob& a, const Blob& b, float* max_difference, int* same_argmax) {
  HWGQ_REQUIRE(a.count() == b.count(), "float and packed outputs differ in size: " << a.shape_string() << " vs "
                                                                                  << b.shape_string());
  *max_difference = 0.f;
  for (int i = 0; i < a.count(); ++i) {
    *max_difference = std::max(*max_difference, std::fabs(a.cpu_data()[i] - b.cpu_data()[i]));
  }
  const int num = a.num_axes() > 0 ? a.shape(0) : 1;
  const int per = num > 0 ? a.count() / num : 0;
  *same_argmax = 0;
  for (int n = 0; n < num; ++n) {
    const float* x = a.cpu_data() + size_t(n) * per;
    const float* y = b.cpu_data() + size_t(n) * per;
    *same_argmax += (std::max_element(x, x + per) - x) == (std::max_element(y, y + per) - y);
  }
}

// Items in one pass over the net's first data layer that knows its source size.
int64_t data_source_size(const Net& net) {
  for (const auto& layer : net.layers()) {
    if (layer->source_size() >= 0) return layer->source_size();
  }
  HWGQ_FAIL("--verify=-1 needs a data layer that knows its source size; give a number of batches");
}

}  // namespace

int export_model(const std::vector<std::string>& args) {
  if (FLAGS_format == "onnx") return export_onnx_model(args);
  HWGQ_REQUIRE(FLAGS_format.empty() || FLAGS_format == "packed",
               "--format must be packed or onnx, not \"" << FLAGS_format << "\"");
  HWGQ_REQUIRE(args.empty(), "export takes no positional arguments (got \"" << args.front() << "\")");
  HWGQ_REQUIRE(!FLAGS_model.empty(), "export needs --model=path/to/deploy.prototxt");
  HWGQ_REQUIRE(!FLAGS_weights.empty(), "export needs --weights=path/to/trained.caffemodel");
  HWGQ_REQUIRE(!FLAGS_output.empty(), "export needs --output=path/for/the/model.hwgq");
  HWGQ_REQUIRE(!std::filesystem::is_directory(FLAGS_output), "--output=" << FLAGS_output << " is a directory");
  for (const std::string& input : {FLAGS_model, FLAGS_weights, FLAGS_transform_from}) {
    HWGQ_REQUIRE(input.empty() || !same_file(input, FLAGS_output),
                 "--output=" << FLAGS_output << " is one of export's inputs; choose another path");
  }
  apply_device_flags();
  HWGQ_REQUIRE(Context::get().mode() == Mode::CPU, "export runs on the CPU (packed layers have no GPU code)");

  HWGQ_REQUIRE(FLAGS_verify >= -1, "--verify must be a number of batches, or -1 for one pass; got " << FLAGS_verify);
  LoweredModel lowered = lower_model_file(FLAGS_model, FLAGS_weights);
  HWGQ_REQUIRE(FLAGS_verify == 0 || lowered.from_train_val,
               "--verify needs --model to be a train_val prototxt with a TEST-phase data layer");
  if (!FLAGS_transform_from.empty()) {
    *lowered.packed.mutable_transform() = transform_from(FLAGS_transform_from);
  } else {
    take_train_val_transform(&lowered, FLAGS_model);
  }
  PackedModelProto& model = lowered.packed;
  Net* trained = lowered.trained.get();
  const NetParameter& model_file = lowered.model_file;
  const DeployNet& derived = lowered.derived;
  const PackedModelReport& report = lowered.report;
  model.set_source_model(std::filesystem::path(FLAGS_model).filename().string());
  model.set_producer("hwgq " HWGQ_VERSION_STRING);

  // Check before writing: the packed model, decoded from the very bytes to be written, on a
  // seeded random batch against the float net with its inference passes.
  const std::string bytes = encode_packed_model(model);
  PackedRuntime runtime(decode_packed_model(bytes, FLAGS_output), 0, FLAGS_output);
  for (const auto& pass : default_inference_passes()) apply_net_pass(*trained, pass);
  HWGQ_REQUIRE(trained->input_blobs().size() == 1, FLAGS_model << " needs exactly one Input blob to export");
  Blob& float_input = *trained->input_blobs()[0];
  Blob& packed_input = runtime.input();
  HWGQ_REQUIRE(float_input.shape() == packed_input.shape(), "input shapes differ after export");
  std::mt19937 rng(1);
  std::normal_distribution<float> gaussian(0.f, 1.f);
  for (int i = 0; i < float_input.count(); ++i) float_input.mutable_cpu_data()[i] = gaussian(rng);
  std::copy_n(float_input.cpu_data(), float_input.count(), packed_input.mutable_cpu_data());
  trained->forward();
  const Blob& packed_output = runtime.forward();
  float difference = 0.f;
  int same = 0;
  compare_outputs(*trained->output_blobs().back(), packed_output, &difference, &same);

  write_file_atomic(FLAGS_output, bytes);
  std::cout << report.to_text();
  std::cout << "wrote " << FLAGS_output << " (" << bytes.size() << " bytes)\n";
  const int num = packed_output.num_axes() > 0 ? packed_output.shape(0) : 1;
  std::cout << "check on one random batch of " << num << ": max |float - packed| output = " << difference << ", "
            << same << "/" << num << " same top-1 class\n";

  if (FLAGS_verify != 0) {
    // The TEST phase of the train_val, with its data layer, against the written model.
    NetBuildOptions verify_options = inference_options();
    verify_options.origin = FLAGS_model;
    verify_options.weights = {FLAGS_weights};
    const auto float_net = build_net(model_file, verify_options);
    PackedRuntime verified(FLAGS_output, derived.batch_size);
    int iterations = FLAGS_verify;
    if (iterations < 0) {
      const int64_t items = data_source_size(*float_net);
      iterations = static_cast<int>((items + derived.batch_size - 1) / derived.batch_size);
    }
    std::cout << verify_packed(*float_net, verified, derived.data_blob, derived.label_blob, iterations).to_text();
  }
  return 0;
}

}  // namespace hwgq::cli
