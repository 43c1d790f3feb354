// Quant on the GPU against the CPU for every forward and backward function: the paper's
// 2-bit HWGQ with the clipped ReLU and the log-tailed backward, sign / hard_tanh / relu
// forwards, a leaky negative side, more centers than the CPU's unrolled kernels cover,
// and in place. The forward compares exactly (the same comparisons against the same float
// thresholds); so do the backward gradients (one multiply or one division).
#include <cmath>
#include <limits>

#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

using test::compare_layer;
using test::CompareOptions;
using test::layer_from_text;

const char* const kTwoBit = "centers: 0.538 centers: 1.076 centers: 1.614 ";

CompareOptions exact(bool in_place) {
  CompareOptions options;
  options.in_place = in_place;
  options.forward_tolerance = 0.f;
  options.backward_tolerance = 1e-6f;
  return options;
}

void compare_quant(const std::string& quant_param, const Blob& x) {
  for (bool in_place : {false, true}) {
    SCOPED_TRACE(quant_param + (in_place ? " in place" : ""));
    compare_layer(layer_from_text("name: 'q' type: 'Quant' quant_param { " + quant_param + " }"), {&x},
                  exact(in_place));
  }
}

Blob gaussian_input(uint64_t seed) {
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, seed, 0.3f, 1.2f);
  return x;
}

TEST(GpuQuant, HwgqWithClippedReluMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  const Blob x = gaussian_input(41);
  compare_quant(std::string("forward_func: 'hwgq' backward_func: 'relu' ") + kTwoBit + "clip_thr: 1.614", x);
  compare_quant(std::string("forward_func: 'hwgq' backward_func: 'relu' ") + kTwoBit, x);  // no clip
}

TEST(GpuQuant, HwgqWithLogTailedMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  const Blob x = gaussian_input(42);
  compare_quant(std::string("forward_func: 'hwgq' backward_func: 'log_tailed' ") + kTwoBit, x);
  compare_quant(std::string("forward_func: 'hwgq' backward_func: 'log_tailed' ") + kTwoBit + "clip_thr: 1.2", x);
}

TEST(GpuQuant, LeakyNegativeSideAndHardTanhBackwardMatchCpu) {
  HWGQ_REQUIRE_GPU();
  const Blob x = gaussian_input(43);
  compare_quant(std::string("forward_func: 'hwgq' backward_func: 'hard_tanh' negative_slope: 0.1 ") + kTwoBit +
                    "clip_thr: 1.5",
                x);
  compare_quant("forward_func: 'relu' backward_func: 'relu' negative_slope: 0.2 clip_thr: 1.0", x);
}

TEST(GpuQuant, SignAndHardTanhForwardsMatchCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x = gaussian_input(44);
  x.mutable_cpu_data()[5] = 0.f;  // sign(0) = +1 on both
  x.mutable_cpu_data()[6] = -1.f;
  x.mutable_cpu_data()[7] = 1.f;
  compare_quant("forward_func: 'sign' backward_func: 'hard_tanh' clip_thr: 1", x);
  compare_quant("forward_func: 'hard_tanh' backward_func: 'hard_tanh' clip_thr: 1", x);
}

TEST(GpuQuant, ManyCentersMatchCpu) {
  HWGQ_REQUIRE_GPU();
  const Blob x = gaussian_input(45);
  std::string centers;
  for (int j = 1; j <= 20; ++j) centers += "centers: " + std::to_string(0.15 * j) + " ";
  compare_quant("forward_func: 'hwgq' backward_func: 'relu' " + centers, x);
}

TEST(GpuQuant, NanPassesThroughLikeCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x = gaussian_input(46);
  x.mutable_cpu_data()[3] = std::numeric_limits<float>::quiet_NaN();
  compare_quant(std::string("forward_func: 'hwgq' ") + kTwoBit, x);
  compare_quant("forward_func: 'hard_tanh' backward_func: 'hard_tanh'", x);
}

}  // namespace
}  // namespace hwgq
