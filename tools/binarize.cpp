// hwgq binarize: writes a deploy form of a binary-weight model in which binary layers are
// plain Convolution / InnerProduct layers holding alpha * sign(W), and checks on a batch
// that it computes exactly what the original computes.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

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
  // The exported plain layers compute the binary layers' float forward, and the check below
  // wants that bit for bit: the original keeps the float forward too.
  options.passes.erase(std::remove(options.passes.begin(), options.passes.end(), "integer_binary_forward"),
                       options.passes.end());
  options.origin = FLAGS_model;
  options.weights = {FLAGS_weights};
  const BinarizedModel exported = binarize_model(model, *build_net(model, options));
  HWGQ_REQUIRE(exported.binarized_layers > 0, FLAGS_model << " has no BinaryConvolution or BinaryInnerProduct layer");

  namespace fs = std::filesystem;
  std::error_code ec;
  const bool had_folder = fs::exists(FLAGS_output, ec);
  fs::create_directories(FLAGS_output, ec);
  HWGQ_REQUIRE(!ec, "cannot create " << FLAGS_output << ": " << ec.message());
  const std::string stem = fs::path(FLAGS_model).stem().string();
  const std::string weights_stem = fs::path(FLAGS_weights).stem().string();
  const std::string net_path = FLAGS_output + "/" + stem + "_bw.prototxt";
  const std::string weights_path = FLAGS_output + "/" + weights_stem + "_bw.caffemodel";
  // Written under temporary names and renamed only once the check below has passed, so
  // that a model that fails it is never left where it could be taken for a checked one.
  const std::string unchecked = ".unchecked." + std::to_string(::getpid());
  struct Cleanup {
    std::vector<std::string> files;
    std::string folder;  // made by this run: removed again when empty
    bool done = false;
    ~Cleanup() {
      if (done) return;
      std::error_code ignored;
      for (const auto& file : files) fs::remove(file, ignored);
      if (!folder.empty() && fs::is_empty(folder, ignored)) fs::remove(folder, ignored);
    }
  } cleanup{{net_path + unchecked, weights_path + unchecked}, had_folder ? "" : FLAGS_output};
  write_text_proto(exported.net, net_path + unchecked);
  write_binary_proto(exported.weights, weights_path + unchecked);

  // The check: both forms, built afresh from files, on the same batch.
  Context::get().set_random_seed(1);
  const auto original = build_net(model, options);
  Context::get().set_random_seed(1);
  NetBuildOptions plain_options = inference_options();
  plain_options.weights = {weights_path + unchecked};
  plain_options.origin = net_path;
  const auto plain = build_net(net_path + unchecked, plain_options);
  const float difference = max_output_difference(*original, *plain);
  std::cout << "binarized " << exported.binarized_layers << " layer(s)\n"
            << "outputs on one batch: max |original - binarized| = " << difference << "\n";
  HWGQ_REQUIRE(!std::isnan(difference), "the outputs on the check batch hold NaN, so the binarized model cannot be "
                                        "checked; nothing was written");
  HWGQ_REQUIRE(difference == 0.f, "the binarized model's outputs differ from the original's by up to "
                                      << difference << "; nothing was written");
  fs::rename(net_path + unchecked, net_path, ec);
  if (!ec) fs::rename(weights_path + unchecked, weights_path, ec);
  HWGQ_REQUIRE(!ec, "cannot move the checked model into " << FLAGS_output << ": " << ec.message());
  cleanup.done = true;
  std::cout << "wrote " << net_path << "\n"
            << "wrote " << weights_path << "\n"
            << "the binarized model computes exactly what the original computes\n";
  return 0;
}

}  // namespace hwgq::cli
