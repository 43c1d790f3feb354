#include <glog/logging.h>

#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/passes/build_net.hpp"

namespace hwgq::cli {

namespace {

// The batches that cover the net's data source once: ceil(items / batch) of the first
// data layer that knows its source size. Logs what it found.
int one_pass_iterations(const Net& net) {
  for (size_t i = 0; i < net.layers().size(); ++i) {
    const Layer& layer = *net.layers()[i];
    const int64_t items = layer.source_size();
    if (items < 0 || net.top_vecs(i).empty()) continue;
    const int64_t batch = net.top_vecs(i)[0]->shape(0);
    HWGQ_REQUIRE(batch > 0, "layer \"" << layer.name() << "\" has batch size 0");
    const int64_t iterations = (items + batch - 1) / batch;
    HWGQ_REQUIRE(iterations <= INT32_MAX, "layer \"" << layer.name() << "\": " << items << " items are too many");
    LOG(INFO) << "One pass over the " << items << " items of layer \"" << layer.name() << "\": " << iterations
              << " batches of " << batch;
    if (items % batch != 0) {
      // The source wraps around, so the last batch repeats items from its start.
      LOG(WARNING) << "the last batch repeats " << (iterations * batch - items) << " of the first items ("
                   << items << " is not a multiple of the batch size " << batch
                   << "); choose a batch size that divides it for exact figures";
    }
    return static_cast<int>(iterations);
  }
  HWGQ_FAIL("--iterations=0 (one pass over the data) needs a data layer that knows its source size "
            "(Data, ImageData or IdxData) in the net's "
            << (net.phase() == TRAIN ? "TRAIN" : "TEST") << " phase; give --iterations=N instead");
}

}  // namespace

int test(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "test needs --model=path/to/train_val.prototxt");
  HWGQ_REQUIRE(FLAGS_iterations >= 0, "--iterations must be positive (or 0 for one pass over the data), got "
                                          << FLAGS_iterations);
  apply_device_flags();
  NetBuildOptions options = inference_options();
  if (FLAGS_phase == "TRAIN") {
    options.phase = TRAIN;
    options.passes.clear();
  }
  if (FLAGS_weights.empty()) {
    LOG(WARNING) << "no --weights given: testing the net's initial (random) weights";
  } else {
    options.weights = {FLAGS_weights};
  }
  const auto built = build_net(FLAGS_model, options);
  Net& net = *built;
  const int iterations = FLAGS_iterations > 0 ? FLAGS_iterations : one_pass_iterations(net);
  LOG(INFO) << "Running for " << iterations << " iterations.";
  std::vector<double> sums;
  std::vector<std::string> names;
  std::vector<float> weights;
  for (int it = 0; it < iterations; ++it) {
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
  // The means over all batches: logged as Caffe does, and printed on stdout, one
  // "name = value" line each, for scripts.
  for (size_t i = 0; i < sums.size(); ++i) {
    const double mean = sums[i] / iterations;
    std::ostringstream line;
    line << names[i] << " = " << mean;
    if (weights[i] != 0.f) line << " (* " << weights[i] << " = " << weights[i] * mean << " loss)";
    LOG(INFO) << line.str();
    std::cout << line.str() << "\n";
  }
  std::cout.flush();
  return 0;
}

}  // namespace hwgq::cli
