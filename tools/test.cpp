#include <glog/logging.h>

#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "data_parallel.hpp"
#include "flags.hpp"
#include "hwgq/passes/build_net.hpp"

namespace hwgq::cli {

namespace {

// The batches that cover the net's data source once: ceil(items / (batch x replicas)) of
// the first data layer that knows its source size. Logs what it found.
int one_pass_iterations(const Net& net, int replicas) {
  for (size_t i = 0; i < net.layers().size(); ++i) {
    const Layer& layer = *net.layers()[i];
    const int64_t items = layer.source_size();
    if (items < 0 || net.top_vecs(i).empty()) continue;
    const int64_t rank_batch = net.top_vecs(i)[0]->shape(0);
    HWGQ_REQUIRE(rank_batch > 0, "layer \"" << layer.name() << "\" has batch size 0");
    // The ranks' batches of one iteration are consecutive parts of one stream of items.
    const int64_t batch = rank_batch * replicas;
    const int64_t iterations = (items + batch - 1) / batch;
    HWGQ_REQUIRE(iterations <= INT32_MAX, "layer \"" << layer.name() << "\": " << items << " items are too many");
    LOG(INFO) << "One pass over the " << items << " items of layer \"" << layer.name() << "\": " << iterations
              << " batches of " << batch << (replicas > 1 ? " (over all ranks)" : "");
    if (items % batch != 0) {
      // The source wraps around, so the last batch repeats items from its start.
      LOG(WARNING) << "the last batch repeats " << (iterations * batch - items) << " of the first items ("
                   << items << " is not a multiple of the batch size " << batch
                   << (replicas > 1 ? " times the number of ranks" : "")
                   << "); choose a batch size that divides it for exact figures";
    }
    return static_cast<int>(iterations);
  }
  HWGQ_FAIL("--iterations=0 (one pass over the data) needs a data layer that knows its source size "
            "(Data, ImageData or IdxData) in the net's "
            << (net.phase() == TRAIN ? "TRAIN" : "TEST") << " phase; give --iterations=N instead");
}

}  // namespace

namespace {
int test_replica(const DataParallelRun& run);
}  // namespace

int test(const std::vector<std::string>& args) {
  DataParallelRun run;
  if (!run.active()) return test_replica(run);
  try {
    return test_replica(run);
  } catch (const Error& error) {
    run.fail("test", error.what());
  } catch (const std::bad_alloc&) {
    run.fail("test", "out of memory");
  }
}

namespace {

int test_replica(const DataParallelRun& run) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "test needs --model=path/to/train_val.prototxt");
  HWGQ_REQUIRE(FLAGS_iterations >= 0, "--iterations must be positive (or 0 for one pass over the data), got "
                                          << FLAGS_iterations);
  if (FLAGS_gpu >= 0) FLAGS_gpu = run.local_gpu(FLAGS_gpu);
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
  const int iterations = FLAGS_iterations > 0 ? FLAGS_iterations : one_pass_iterations(net, run.size());
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
  // The means over all batches (of all ranks): logged as Caffe does, and printed on
  // stdout by rank 0, one "name = value" line each, for scripts.
  for (double& sum : sums) sum /= iterations;
  run.average(&sums);
  for (size_t i = 0; i < sums.size(); ++i) {
    const double mean = sums[i];
    std::ostringstream line;
    line << names[i] << " = " << mean;
    if (weights[i] != 0.f) line << " (* " << weights[i] << " = " << weights[i] * mean << " loss)";
    LOG(INFO) << line.str();
    if (run.rank() == 0) std::cout << line.str() << "\n";
  }
  std::cout.flush();
  return 0;
}

}  // namespace

}  // namespace hwgq::cli
