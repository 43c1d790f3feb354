// hwgq binarize: writes a deploy form of a binary-weight model in which binary layers are
// plain Convolution / InnerProduct layers holding alpha * sign(W), and checks on a batch
// that it computes exactly what the original computes.
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/deploy/binary_weight_export.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::cli {

int binarize(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "binarize needs --model=path/to/net.prototxt");
  HWGQ_REQUIRE(!FLAGS_weights.empty(), "binarize needs --weights=path/to/trained.caffemodel");
  HWGQ_REQUIRE(!FLAGS_output.empty(), "binarize needs --output=FOLDER for the deploy files");
  apply_device_flags();
  NetParameter model;
  read_text_proto(FLAGS_model, &model);
  NetBuildOptions options = inference_options();
  options.origin = FLAGS_model;
  options.weights = {FLAGS_weights};
  const BinarizedModel exported = binarize_model(model, *build_net(model, options));
  HWGQ_REQUIRE(exported.binarized_layers > 0, FLAGS_model << " has no BinaryConvolution or BinaryInnerProduct layer");

  std::error_code ec;
  std::filesystem::create_directories(FLAGS_output, ec);
  HWGQ_REQUIRE(!ec, "cannot create " << FLAGS_output << ": " << ec.message());
  const std::string stem = std::filesystem::path(FLAGS_model).stem().string();
  const std::string weights_stem = std::filesystem::path(FLAGS_weights).stem().string();
  const std::string net_path = FLAGS_output + "/" + stem + "_bw.prototxt";
  const std::string weights_path = FLAGS_output + "/" + weights_stem + "_bw.caffemodel";
  write_text_proto(exported.net, net_path);
  write_binary_proto(exported.weights, weights_path);

  // The check: both forms, built afresh from files, on the same batch.
  Context::get().set_random_seed(1);
  const auto original = build_net(model, options);
  Context::get().set_random_seed(1);
  NetBuildOptions plain_options = inference_options();
  plain_options.weights = {weights_path};
  const auto plain = build_net(net_path, plain_options);
  const float difference = max_output_difference(*original, *plain);
  std::cout << "binarized " << exported.binarized_layers << " layer(s)\n"
            << "wrote " << net_path << "\n"
            << "wrote " << weights_path << "\n"
            << "outputs on one batch: max |original - binarized| = " << difference << "\n";
  HWGQ_REQUIRE(difference == 0.f, "the binarized model's outputs differ from the original's by up to " << difference);
  std::cout << "the binarized model computes exactly what the original computes\n";
  return 0;
}

}  // namespace hwgq::cli
