#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <memory>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/deploy/packed_runtime.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::cli {

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}
}  // namespace

int time(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "time needs --model=path/to/net.prototxt");
  HWGQ_REQUIRE(FLAGS_iterations > 0, "--iterations must be positive, got " << FLAGS_iterations);
  HWGQ_REQUIRE(FLAGS_batch >= 0, "--batch must be positive, got " << FLAGS_batch);
  apply_device_flags();
  // A packed model (`hwgq export`) is timed exactly as a prototxt is: forward only, since
  // it has no backward.
  std::unique_ptr<PackedRuntime> packed;
  std::unique_ptr<Net> built;
  if (is_packed_model_file(FLAGS_model)) {
    HWGQ_REQUIRE(FLAGS_phase.empty() || FLAGS_phase == "TEST",
                 "a packed model runs forward only: --phase=" << FLAGS_phase << " does not apply");
    packed = std::make_unique<PackedRuntime>(FLAGS_model, FLAGS_batch);
  } else {
    NetBuildOptions options = inference_options();
    if (FLAGS_phase != "TEST") {
      options.phase = TRAIN;
      // What the solver's training net gets: the inference passes do not apply.
      options.passes = default_training_passes();
    }
    options.batch_size = FLAGS_batch;
    built = build_net(FLAGS_model, options);
  }
  Net& net = packed ? packed->net() : *built;

  const auto& layers = net.layers();
  const int n = static_cast<int>(layers.size());
  LOG(INFO) << "Performing Forward";
  // One untimed pass first: buffers are allocated and caches warmed.
  net.forward();
  LOG(INFO) << "Performing Backward";
  net.backward();

  std::vector<double> forward_ms(n, 0), backward_ms(n, 0);
  double total_forward = 0, total_backward = 0;
  const auto total_start = Clock::now();
  for (int it = 0; it < FLAGS_iterations; ++it) {
    const auto iter_start = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto start = Clock::now();
      layers[i]->forward(net.bottom_vecs(i), net.top_vecs(i));
      forward_ms[i] += ms_since(start);
    }
    total_forward += ms_since(iter_start);
    const auto backward_start = Clock::now();
    for (int i = n - 1; i >= 0; --i) {
      if (!net.layer_needs_backward(i)) continue;
      const auto start = Clock::now();
      layers[i]->backward(net.top_vecs(i), net.bottom_need_backward(i), net.bottom_vecs(i));
      backward_ms[i] += ms_since(start);
    }
    total_backward += ms_since(backward_start);
    LOG(INFO) << "Iteration: " << it + 1 << " forward-backward time: " << ms_since(iter_start) << " ms.";
  }
  const double total_ms = ms_since(total_start);
  LOG(INFO) << "Average time per layer: ";
  for (int i = 0; i < n; ++i) {
    LOG(INFO) << std::setw(12) << net.layer_names()[i] << "\tforward: " << forward_ms[i] / FLAGS_iterations << " ms.";
    LOG(INFO) << std::setw(12) << net.layer_names()[i] << "\tbackward: " << backward_ms[i] / FLAGS_iterations << " ms.";
  }
  LOG(INFO) << "Average Forward pass: " << total_forward / FLAGS_iterations << " ms.";
  LOG(INFO) << "Average Backward pass: " << total_backward / FLAGS_iterations << " ms.";
  LOG(INFO) << "Average Forward-Backward: " << total_ms / FLAGS_iterations << " ms.";
  LOG(INFO) << "Total Time: " << total_ms << " ms.";
  return 0;
}

}  // namespace hwgq::cli
