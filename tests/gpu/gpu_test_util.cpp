#include "gpu_test_util.hpp"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <sstream>

#include "hwgq/layer_registry.hpp"
#include "hwgq/util/device_memory.hpp"

namespace hwgq::test {

std::string gpu_unavailable_reason() {
  if (!cuda_compiled()) {
    const char* dry = std::getenv("HWGQ_GPU_TESTS_ON_CPU");
    if (dry && std::string(dry) == "1") return {};
    return "built without CUDA (set HWGQ_GPU_TESTS_ON_CPU=1 to run the harness on the CPU fallback)";
  }
  if (device_count() == 0) return "no CUDA device present; GPU test skipped";
  return {};
}

bool gpu_tests_required() {
  const char* required = std::getenv("HWGQ_GPU_TESTS_REQUIRED");
  return required && std::string(required) == "1";
}

void expect_close(const std::string& what, const float* cpu, const float* gpu, int count, float tolerance) {
  int bad = 0;
  double worst = 0;
  int worst_index = -1;
  std::ostringstream first;
  for (int i = 0; i < count; ++i) {
    const double a = cpu[i], b = gpu[i];
    const bool both_nan = std::isnan(a) && std::isnan(b);
    const double err = both_nan ? 0.0 : std::fabs(a - b) / std::max(1.0, std::fabs(a));
    if (!(err <= tolerance)) {
      if (bad < 5) first << "\n  [" << i << "] cpu " << a << " gpu " << b;
      ++bad;
    }
    if (!(err <= worst)) {
      worst = err;
      worst_index = i;
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << count << " values differ by more than " << tolerance
                    << " (relative to max(1, |cpu|)); largest error " << worst << " at " << worst_index
                    << first.str();
}

namespace {

std::unique_ptr<Blob> clone(const Blob& source) {
  auto blob = std::make_unique<Blob>(source.shape());
  std::copy_n(source.cpu_data(), source.count(), blob->mutable_cpu_data());
  return blob;
}

struct Run {
  std::unique_ptr<Layer> layer;
  std::vector<std::unique_ptr<Blob>> bottoms;
  std::vector<std::unique_ptr<Blob>> tops;
  BlobVec bottom, top;
};

Run make_run(const LayerParameter& param, const std::vector<const Blob*>& bottoms, int num_tops, bool in_place) {
  Run run;
  run.layer = create_layer(param);
  for (const Blob* b : bottoms) {
    run.bottoms.push_back(clone(*b));
    run.bottom.push_back(run.bottoms.back().get());
  }
  if (in_place) {
    run.top = run.bottom;
  } else {
    for (int t = 0; t < num_tops; ++t) {
      run.tops.push_back(std::make_unique<Blob>());
      run.top.push_back(run.tops.back().get());
    }
  }
  return run;
}

}  // namespace

LayerParameter layer_from_text(const std::string& text) {
  LayerParameter param;
  const bool ok = google::protobuf::TextFormat::ParseFromString(text, &param);
  EXPECT_TRUE(ok) << "bad layer text: " << text;
  return param;
}

void compare_layer(const LayerParameter& param, const std::vector<const Blob*>& bottoms,
                   const CompareOptions& options) {
  const int num_tops = std::max(1, param.top_size());
  Run cpu = make_run(param, bottoms, num_tops, options.in_place);
  Run gpu = make_run(param, bottoms, num_tops, options.in_place);
  {
    ModeScope mode(Mode::CPU);
    Context::get().set_random_seed(options.seed);
    cpu.layer->setup(cpu.bottom, cpu.top);
  }
  {
    ModeScope mode(Mode::GPU);
    Context::get().set_random_seed(options.seed);
    gpu.layer->setup(gpu.bottom, gpu.top);
  }
  ASSERT_EQ(cpu.layer->blobs().size(), gpu.layer->blobs().size());
  // Same weights, and the same non-zero starting gradients so accumulation shows.
  for (size_t p = 0; p < cpu.layer->blobs().size(); ++p) {
    Blob& c = *cpu.layer->blobs()[p];
    Blob& g = *gpu.layer->blobs()[p];
    ASSERT_EQ(c.shape(), g.shape()) << "param " << p;
    std::copy_n(c.cpu_data(), c.count(), g.mutable_cpu_data());
    Blob start(c.shape());
    fill_gaussian(&start, options.seed + 100 + p, 0.f, 0.1f);
    std::copy_n(start.cpu_data(), c.count(), c.mutable_cpu_diff());
    std::copy_n(start.cpu_data(), c.count(), g.mutable_cpu_diff());
  }

  std::vector<bool> propagate = options.propagate_down;
  if (propagate.empty()) {
    for (size_t b = 0; b < bottoms.size(); ++b) propagate.push_back(cpu.layer->allow_force_backward((int)b));
  }

  for (int round = 0; round < options.rounds; ++round) {
    const std::string tag = std::string(param.type()) + " round " + std::to_string(round) + ": ";
    if (round > 0) {
      // Fresh inputs each round (in place, the previous round overwrote them).
      for (size_t b = 0; b < bottoms.size(); ++b) {
        std::copy_n(bottoms[b]->cpu_data(), bottoms[b]->count(), cpu.bottom[b]->mutable_cpu_data());
        std::copy_n(bottoms[b]->cpu_data(), bottoms[b]->count(), gpu.bottom[b]->mutable_cpu_data());
      }
    }
    float cpu_loss, gpu_loss;
    {
      ModeScope mode(Mode::CPU);
      Context::get().set_random_seed(options.seed + round);
      cpu_loss = cpu.layer->forward(cpu.bottom, cpu.top);
    }
    {
      ModeScope mode(Mode::GPU);
      Context::get().set_random_seed(options.seed + round);
      gpu_loss = gpu.layer->forward(gpu.bottom, gpu.top);
    }
    EXPECT_NEAR(cpu_loss, gpu_loss, options.forward_tolerance * std::max(1.f, std::fabs(cpu_loss))) << tag << "loss";
    for (size_t t = 0; t < cpu.top.size(); ++t) {
      ASSERT_EQ(cpu.top[t]->shape(), gpu.top[t]->shape()) << tag << "top " << t;
      expect_close(tag + "top " + std::to_string(t), cpu.top[t]->cpu_data(), gpu.top[t]->cpu_data(),
                   cpu.top[t]->count(), options.forward_tolerance);
    }

    if (options.random_top_diff) {
      for (size_t t = 0; t < cpu.top.size(); ++t) {
        Blob dy(cpu.top[t]->shape());
        fill_gaussian(&dy, options.seed + 10 * round + t + 1);
        std::copy_n(dy.cpu_data(), dy.count(), cpu.top[t]->mutable_cpu_diff());
        std::copy_n(dy.cpu_data(), dy.count(), gpu.top[t]->mutable_cpu_diff());
      }
    }
    {
      ModeScope mode(Mode::CPU);
      cpu.layer->backward(cpu.top, propagate, cpu.bottom);
    }
    {
      ModeScope mode(Mode::GPU);
      gpu.layer->backward(gpu.top, propagate, gpu.bottom);
    }
    for (size_t b = 0; b < bottoms.size(); ++b) {
      if (!propagate[b]) continue;
      expect_close(tag + "bottom " + std::to_string(b) + " diff", cpu.bottom[b]->cpu_diff(), gpu.bottom[b]->cpu_diff(),
                   cpu.bottom[b]->count(), options.backward_tolerance);
    }
    for (size_t p = 0; p < cpu.layer->blobs().size(); ++p) {
      const Blob& c = *cpu.layer->blobs()[p];
      const Blob& g = *gpu.layer->blobs()[p];
      expect_close(tag + "param " + std::to_string(p) + " data", c.cpu_data(), g.cpu_data(), c.count(),
                   options.forward_tolerance);
      expect_close(tag + "param " + std::to_string(p) + " diff", c.cpu_diff(), g.cpu_diff(), c.count(),
                   options.backward_tolerance);
    }
  }
}

}  // namespace hwgq::test
