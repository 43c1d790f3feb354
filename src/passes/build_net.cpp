#include "hwgq/passes/build_net.hpp"

#include "hwgq/passes/net_pass.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

NetBuildOptions inference_options() {
  NetBuildOptions options;
  options.phase = TEST;
  options.passes = default_inference_passes();
  return options;
}

std::unique_ptr<Net> build_net(const NetParameter& model, const NetBuildOptions& options) {
  HWGQ_REQUIRE(options.batch_size >= 0, "batch size must be positive, got " << options.batch_size);
  std::unique_ptr<Net> net;
  if (options.batch_size > 0) {
    NetParameter resized = model;
    set_batch_size(&resized, options.batch_size);
    net = std::make_unique<Net>(resized, options.phase, options.origin);
  } else {
    net = std::make_unique<Net>(model, options.phase, options.origin);
  }
  for (const auto& weights : options.weights) net->copy_trained_layers_from(weights);
  for (const auto& pass : options.passes) apply_net_pass(*net, pass);
  return net;
}

std::unique_ptr<Net> build_net(const std::string& model_path, NetBuildOptions options) {
  NetParameter model;
  read_text_proto(model_path, &model);
  if (options.origin == "net") options.origin = model_path;
  return build_net(model, options);
}

}  // namespace hwgq
