// hwgq recalibrate: re-estimates the BatchNorm statistics of trained weights over batches
// of the net's TRAIN-phase data with the weights frozen, and writes the result as new
// weights (the solver's batch_norm_recalibration_iter does the same at the end of training).
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/batch_norm_recalibration.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::cli {

int recalibrate(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "recalibrate needs --model=path/to/train_val.prototxt");
  HWGQ_REQUIRE(!FLAGS_weights.empty(), "recalibrate needs --weights=path/to/trained.caffemodel");
  HWGQ_REQUIRE(!FLAGS_output.empty(), "recalibrate needs --output=path/for/the/new.caffemodel");
  HWGQ_REQUIRE(FLAGS_iterations > 0, "--iterations (training batches to average over) must be positive, got "
                                         << FLAGS_iterations);
  // Writing over the weights being read would lose the trained statistics if anything
  // went wrong, and leave no way to compare before and after.
  std::error_code ec;
  HWGQ_REQUIRE(!std::filesystem::equivalent(FLAGS_output, FLAGS_weights, ec) &&
                   std::filesystem::weakly_canonical(FLAGS_output, ec) !=
                       std::filesystem::weakly_canonical(FLAGS_weights, ec),
               "--output=" << FLAGS_output << " is the --weights file; write the recalibrated weights elsewhere");
  apply_device_flags();
  NetBuildOptions options;
  options.phase = TRAIN;
  options.weights = {FLAGS_weights};
  const auto built = build_net(FLAGS_model, options);
  Net& net = *built;
  const int layers = recalibrate_batch_norm(net, FLAGS_iterations);
  HWGQ_REQUIRE(layers > 0, FLAGS_model << " has no BatchNorm layer that takes batch statistics in its TRAIN phase");
  NetParameter weights;
  net.to_proto(&weights);
  write_binary_proto(weights, FLAGS_output);
  std::cout << "recalibrated " << layers << " BatchNorm layer(s) over " << FLAGS_iterations << " batches\n"
            << "wrote " << FLAGS_output << "\n";
  return 0;
}

}  // namespace hwgq::cli
