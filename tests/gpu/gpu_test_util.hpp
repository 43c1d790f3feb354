// The harness of the GPU tests: run one layer on the CPU and on the GPU with the same
// inputs and weights, and compare what comes out (tops, bottom gradients, parameter
// gradients, and parameters the layer updates itself, like BatchNorm's running sums).
//
// Every GPU test starts with HWGQ_REQUIRE_GPU(), which skips it with a message where no
// CUDA device is usable (always in a CPU-only build). In a CPU-only build the variable
// HWGQ_GPU_TESTS_ON_CPU=1 runs them anyway, "GPU" mode then falling back to the CPU code:
// that checks the harness and the test set-ups (shapes, parameters) without a GPU.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hwgq/layer.hpp"
#include "test_util.hpp"

namespace hwgq::test {

// Empty when GPU tests can run; otherwise why not.
std::string gpu_unavailable_reason();

// Whether HWGQ_GPU_TESTS_REQUIRED=1 is set (scripts/gpu_check.sh sets it): then a missing
// GPU fails the tests instead of skipping them, so a GPU run cannot pass by skipping.
bool gpu_tests_required();

#define HWGQ_REQUIRE_GPU()                                                        \
  do {                                                                            \
    const std::string hwgq_gpu_reason_ = ::hwgq::test::gpu_unavailable_reason(); \
    if (!hwgq_gpu_reason_.empty()) {                                              \
      if (::hwgq::test::gpu_tests_required()) FAIL() << hwgq_gpu_reason_;         \
      GTEST_SKIP() << hwgq_gpu_reason_;                                           \
    }                                                                             \
  } while (0)

// Sets the run mode for a scope; the previous mode comes back at its end.
class ModeScope {
 public:
  explicit ModeScope(Mode mode) : saved_(Context::get().mode()) { Context::get().set_mode(mode); }
  ~ModeScope() { Context::get().set_mode(saved_); }

 private:
  Mode saved_;
};

// |gpu - cpu| <= tolerance * max(1, |cpu|) for every element, reported through
// GoogleTest with the first mismatches and the largest error.
void expect_close(const std::string& what, const float* cpu, const float* gpu, int count, float tolerance);

struct CompareOptions {
  float forward_tolerance = 1e-5f;
  float backward_tolerance = 1e-4f;
  // Which bottoms get gradients; empty means every bottom the layer allows.
  std::vector<bool> propagate_down;
  // Top = bottom (single-bottom layers that allow it).
  bool in_place = false;
  // Forward/backward rounds: the second checks accumulation of parameter gradients,
  // running statistics and anything the layer caches per shape.
  int rounds = 2;
  // Top diffs: random (true) or left as the layer set them (loss layers hold their weight).
  bool random_top_diff = true;
  uint64_t seed = 2024;
};

// Builds the layer twice from `param` (phase as in param), feeds both the bottoms' values,
// copies the CPU layer's weights into the GPU layer, and compares. `bottoms` are only
// templates: each run gets its own copies.
void compare_layer(const LayerParameter& param, const std::vector<const Blob*>& bottoms,
                   const CompareOptions& options = CompareOptions());

// A LayerParameter from prototxt text (the layer's fields, without "layer { }").
LayerParameter layer_from_text(const std::string& text);

}  // namespace hwgq::test
