#include <glog/logging.h>

#include <iomanip>
#include <sstream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/net.hpp"

namespace hwgq::cli {

int test(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "test needs --model=path/to/train_val.prototxt");
  HWGQ_REQUIRE(FLAGS_iterations > 0, "--iterations must be positive, got " << FLAGS_iterations);
  apply_device_flags();
  Net net(FLAGS_model, FLAGS_phase == "TRAIN" ? TRAIN : TEST);
  if (FLAGS_weights.empty()) {
    LOG(WARNING) << "no --weights given: testing the net's initial (random) weights";
  } else {
    net.copy_trained_layers_from(FLAGS_weights);
  }
  LOG(INFO) << "Running for " << FLAGS_iterations << " iterations.";
  std::vector<double> sums;
  std::vector<std::string> names;
  std::vector<float> weights;
  for (int it = 0; it < FLAGS_iterations; ++it) {
    net.forward();
    int index = 0;
    for (size_t j = 0; j < net.output_blobs().size(); ++j) {
      const Blob* blob = net.output_blobs()[j];
      for (int k = 0; k < blob->count(); ++k, ++index) {
        const float value = blob->cpu_data()[k];
        if (it == 0) {
          sums.push_back(0);
          names.push_back(net.output_blob_names()[j]);
          weights.push_back(net.output_loss_weights()[j]);
        }
        sums[index] += value;
        LOG(INFO) << "Batch " << it << ", " << names[index] << " = " << value;
      }
    }
  }
  for (size_t i = 0; i < sums.size(); ++i) {
    const double mean = sums[i] / FLAGS_iterations;
    std::ostringstream line;
    line << names[i] << " = " << mean;
    if (weights[i] != 0.f) line << " (* " << weights[i] << " = " << weights[i] * mean << " loss)";
    LOG(INFO) << line.str();
  }
  return 0;
}

}  // namespace hwgq::cli
