// The one-pass SGD step against the solver's separate passes written out in double
// precision, and the solver's fused and unfused updates against each other.
#include "hwgq/math/sgd_step.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "hwgq/math/blas.hpp"

namespace hwgq {
namespace {

// Four float roundings' worth (2^-24 each), relative.
constexpr double kUlps = 4 * 5.96e-8;

struct Arrays {
  std::vector<float> data, diff, history;
};

Arrays random_arrays(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  Arrays a;
  for (int64_t i = 0; i < n; ++i) {
    a.data.push_back(normal(rng));
    a.diff.push_back(0.1f * normal(rng));
    a.history.push_back(0.01f * normal(rng));
  }
  return a;
}

// Lengths below one block, at it, and over several blocks with a ragged end, so that the
// threaded split and the tails are both covered.
class SgdStepTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(SgdStepTest, MatchesTheSeparatePassesInDoublePrecision) {
  const int64_t n = GetParam();
  struct Setting {
    float rate, momentum, decay, diff_scale;
  };
  for (const Setting& s : {Setting{0.01f, 0.9f, 5e-4f, 1.f}, Setting{0.1f, 0.f, 0.f, 1.f},
                           Setting{1e-3f, 0.99f, 1e-2f, 0.25f}, Setting{0.f, 0.9f, 5e-4f, 1.f}}) {
    Arrays a = random_arrays(n, 7u + static_cast<uint32_t>(n));
    const Arrays before = a;
    sgd_momentum_step(n, s.rate, s.momentum, s.decay, s.diff_scale, a.data.data(), a.diff.data(), a.history.data());
    for (int64_t i = 0; i < n; ++i) {
      const double gradient = double(s.diff_scale) * before.diff[i] + double(s.decay) * before.data[i];
      const double step = double(s.momentum) * before.history[i] + double(s.rate) * gradient;
      const double data = before.data[i] - step;
      // Float rounding of each operation, bounded by the magnitudes of its terms (their sum
      // may cancel): a few units in the last place of the largest.
      const double step_bound = kUlps * (std::fabs(s.momentum * before.history[i]) +
                                         std::fabs(s.rate) * (std::fabs(s.diff_scale * before.diff[i]) +
                                                              std::fabs(s.decay * before.data[i])));
      ASSERT_NEAR(a.history[i], step, step_bound) << "i = " << i;
      ASSERT_EQ(a.diff[i], a.history[i]) << "i = " << i;
      ASSERT_NEAR(a.data[i], data, kUlps * (std::fabs(before.data[i]) + std::fabs(step)) + step_bound) << "i = " << i;
    }
  }
}

TEST_P(SgdStepTest, GivesTheSameWeightsAsTheSeparatePasses) {
  // The separate passes as the solver runs them where nothing is fused (L1 decay, other
  // rules): scale, weight decay (axpy), momentum (axpby), copy of the step, data -= step.
  const int64_t n = GetParam();
  const float rate = 0.01f, momentum = 0.9f, decay = 5e-4f, diff_scale = 0.5f;
  Arrays fused = random_arrays(n, 11u);
  const Arrays before = fused;
  Arrays separate = fused;
  sgd_momentum_step(n, rate, momentum, decay, diff_scale, fused.data.data(), fused.diff.data(), fused.history.data());
  const int count = static_cast<int>(n);
  scal(count, diff_scale, separate.diff.data());
  axpy(count, decay, separate.data.data(), separate.diff.data());
  axpby(count, rate, separate.diff.data(), momentum, separate.history.data());
  copy(count, separate.history.data(), separate.diff.data());
  axpy(count, -1.f, separate.diff.data(), separate.data.data());
  for (int64_t i = 0; i < n; ++i) {
    // Whether a * x + y is rounded once (fused multiply-add) or twice differs between the
    // BLAS and the compiled loop: a few units in the last place of the terms.
    const double step_bound = kUlps * 2 * (momentum * std::fabs(before.history[i]) +
                                           rate * (diff_scale * std::fabs(before.diff[i]) +
                                                   decay * std::fabs(before.data[i])));
    ASSERT_NEAR(fused.history[i], separate.history[i], step_bound) << "i = " << i;
    ASSERT_NEAR(fused.data[i], separate.data[i],
                kUlps * 2 * (std::fabs(before.data[i]) + std::fabs(separate.history[i])) + step_bound)
        << "i = " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, SgdStepTest, ::testing::Values(1, 15, 16384, 16385, 100003));

}  // namespace
}  // namespace hwgq
