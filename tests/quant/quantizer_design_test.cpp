#include "hwgq/quant/quantizer_design.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hwgq/common.hpp"

namespace hwgq {
namespace {

// Values agree with the fact sheet (docs/hwgq-paper.md 1.3) to its 4 printed decimals.
constexpr double k4 = 0.5e-4 + 1e-9;

void expect_levels(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(got[j], want[j], tol) << "level " << j + 1;
}

TEST(QuantizerDesign, OneLevelIsTheHalfGaussianMean) {
  for (auto method : {QuantizerMethod::kUniform, QuantizerMethod::kLloyd}) {
    const QuantizerDesign d = design_half_gaussian(1, method);
    ASSERT_EQ(d.levels.size(), 1u);
    EXPECT_NEAR(d.levels[0], std::sqrt(2.0 / M_PI), 1e-9);  // E[x | x > 0] = 0.7979
    EXPECT_NEAR(d.mse, 0.1817, k4);
    EXPECT_EQ(d.thresholds, std::vector<double>{0.0});
  }
}

TEST(QuantizerDesign, OptimalUniformSteps) {
  struct Case {
    int levels;
    double step, mse;
  };
  for (const Case& c : {Case{1, 0.7979, 0.1817}, Case{2, 0.6510, 0.0791}, Case{3, 0.5388, 0.0432},
                        Case{7, 0.3217, 0.0102}, Case{15, 0.1842, 0.0025}}) {
    const QuantizerDesign d = optimal_uniform_half_gaussian(c.levels);
    EXPECT_NEAR(d.step, c.step, k4) << "K = " << c.levels;
    EXPECT_NEAR(d.mse, c.mse, k4) << "K = " << c.levels;
    ASSERT_EQ((int)d.levels.size(), c.levels);
    for (int j = 0; j < c.levels; ++j) EXPECT_DOUBLE_EQ(d.levels[j], (j + 1) * d.step);
  }
}

TEST(QuantizerDesign, UniformTwoBitMatchesThePrototxtCenters) {
  // The `3ne` prototxts use 0.538, 1.076, 1.614: the optimal step, truncated to 3 decimals.
  const QuantizerDesign d = optimal_uniform_half_gaussian(3);
  expect_levels(d.levels, {0.538, 1.076, 1.614}, 3e-3);
  EXPECT_NEAR(d.thresholds[0], 0.0, 0.0);
  EXPECT_NEAR(d.thresholds[1], 0.8082, k4);
  EXPECT_NEAR(d.thresholds[2], 1.3470, k4);
}

TEST(QuantizerDesign, UniformStepIsAStationaryPoint) {
  // The step is converged well beyond 4 decimals: nudging it by 1e-7 either way does not
  // lower the closed-form error.
  for (int k : {1, 3, 7, 15}) {
    const QuantizerDesign d = optimal_uniform_half_gaussian(k);
    for (double delta : {-1e-7, 1e-7}) {
      std::vector<double> q(k);
      for (int j = 0; j < k; ++j) q[j] = (j + 1) * (d.step + delta);
      EXPECT_GE(half_gaussian_mse(q), d.mse) << "K = " << k;
    }
  }
}

TEST(QuantizerDesign, LloydMaxLevels) {
  const QuantizerDesign two = lloyd_max_half_gaussian(2);
  expect_levels(two.levels, {0.4528, 1.5104}, k4);
  expect_levels(two.thresholds, {0.0, 0.9816}, k4);

  const QuantizerDesign three = lloyd_max_half_gaussian(3);
  expect_levels(three.levels, {0.3177, 1.0001, 1.8936}, k4);
  expect_levels(three.thresholds, {0.0, 0.6589, 1.4469}, k4);

  const QuantizerDesign seven = lloyd_max_half_gaussian(7);
  expect_levels(seven.levels, {0.1457, 0.4413, 0.7504, 1.0856, 1.4675, 1.9386, 2.6251}, k4);
  expect_levels(seven.thresholds, {0.0, 0.2935, 0.5959, 0.9180, 1.2766, 1.7031, 2.2818}, k4);
  EXPECT_EQ(seven.step, 0.0);
}

TEST(QuantizerDesign, LloydSatisfiesItsConditionsAndBeatsUniform) {
  for (int k : {2, 3, 7, 15}) {
    const QuantizerDesign lloyd = lloyd_max_half_gaussian(k);
    const QuantizerDesign uniform = optimal_uniform_half_gaussian(k);
    EXPECT_LT(lloyd.mse, uniform.mse) << "K = " << k;
    EXPECT_NEAR(lloyd.mse, half_gaussian_mse(lloyd.levels), 1e-15);
    // Centroid condition: q_j = E[x | t_j < x <= t_{j+1}], checked with phi/Phi directly.
    for (int j = 0; j < k; ++j) {
      const double a = lloyd.thresholds[j];
      const double b = j + 1 < k ? lloyd.thresholds[j + 1] : INFINITY;
      const double mass = (j + 1 < k ? normal_cdf(b) : 1.0) - normal_cdf(a);
      const double first = normal_pdf(a) - (j + 1 < k ? normal_pdf(b) : 0.0);
      EXPECT_NEAR(lloyd.levels[j], first / mass, 1e-9) << "K = " << k << " level " << j + 1;
      if (j > 0) {
        EXPECT_GT(lloyd.levels[j], lloyd.levels[j - 1]);
      }
    }
  }
}

TEST(QuantizerDesign, ClosedFormMseAgreesWithQuadrature) {
  // Midpoint-rule integral of (Q(x) - x)^2 phi(x) over x > 0 for the 3ne centers.
  const std::vector<double> q = {0.538, 1.076, 1.614};
  const double h = 1e-4;
  double sum = 0;
  for (double x = h / 2; x < 12; x += h) {
    const double level = x <= 0.807 ? q[0] : x <= 1.345 ? q[1] : q[2];
    sum += (level - x) * (level - x) * normal_pdf(x) * h;
  }
  EXPECT_NEAR(half_gaussian_mse(q), sum, 1e-7);
}

std::vector<float> gaussian_sample(int n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> s(n);
  for (auto& v : s) v = dist(gen);
  return s;
}

TEST(QuantizerDesign, SamplesApproximateTheIdealDesigns) {
  const std::vector<float> samples = gaussian_sample(100000, 2017);
  for (int k : {1, 3, 7}) {
    for (auto method : {QuantizerMethod::kUniform, QuantizerMethod::kLloyd}) {
      const QuantizerDesign ideal = design_half_gaussian(k, method);
      const QuantizerDesign fit = design_from_samples(samples, k, method);
      SCOPED_TRACE(std::string(quantizer_method_name(method)) + " K = " + std::to_string(k));
      ASSERT_EQ(fit.levels.size(), ideal.levels.size());
      // Tolerances hold with margin over 20 seeds (worst seen at this sample size: step
      // 0.006, error 2.2%, Lloyd level 0.056). The step is pinned down well by the sample;
      // Lloyd levels are not: the error is so flat along some directions (Lloyd converges
      // slowly for the same reason) that sampling noise moves them by hundredths while
      // the error hardly changes.
      if (method == QuantizerMethod::kUniform) {
        EXPECT_NEAR(fit.step, ideal.step, 0.01);
      }
      const double level_tol = method == QuantizerMethod::kUniform ? 0.01 * k : 0.1;
      for (int j = 0; j < k; ++j) EXPECT_NEAR(fit.levels[j], ideal.levels[j], level_tol) << "level " << j + 1;
      EXPECT_NEAR(fit.mse, ideal.mse, 0.04 * ideal.mse);
      EXPECT_EQ(fit.thresholds, midpoint_thresholds(fit.levels));
      // Fitted on these very samples, it cannot do worse on them than the ideal design.
      EXPECT_NEAR(fit.mse, sample_mse(samples, fit.levels), 1e-12);
      EXPECT_LE(fit.mse, sample_mse(samples, ideal.levels) + 1e-12);
    }
  }
}

TEST(QuantizerDesign, SamplesExactSmallCases) {
  // Non-positive samples count in N but cost nothing; one level lands on the mean of the
  // positive ones.
  const std::vector<float> samples = {-3.f, 0.f, 1.f, 2.f, 3.f};
  const QuantizerDesign one = design_from_samples(samples, 1, QuantizerMethod::kLloyd);
  EXPECT_NEAR(one.levels[0], 2.0, 1e-12);
  EXPECT_NEAR(one.mse, 2.0 / 5.0, 1e-12);
  const QuantizerDesign uniform = design_from_samples(samples, 1, QuantizerMethod::kUniform);
  EXPECT_NEAR(uniform.step, 2.0, 1e-9);
  // Three levels on three distinct values fit exactly.
  const QuantizerDesign three = design_from_samples(samples, 3, QuantizerMethod::kLloyd);
  expect_levels(three.levels, {1.0, 2.0, 3.0}, 1e-9);
  EXPECT_NEAR(three.mse, 0.0, 1e-12);
  const QuantizerDesign three_uniform = design_from_samples(samples, 3, QuantizerMethod::kUniform);
  EXPECT_NEAR(three_uniform.step, 1.0, 1e-9);
}

TEST(QuantizerDesign, Errors) {
  EXPECT_THROW(design_half_gaussian(0, QuantizerMethod::kUniform), Error);
  EXPECT_THROW(design_half_gaussian(256, QuantizerMethod::kLloyd), Error);
  EXPECT_THROW(design_from_samples({-1.f, 0.f}, 3, QuantizerMethod::kUniform), Error);
  EXPECT_THROW(design_from_samples({}, 3, QuantizerMethod::kUniform), Error);
  EXPECT_THROW(design_from_samples({1.f, NAN}, 3, QuantizerMethod::kLloyd), Error);
  EXPECT_EQ(parse_quantizer_method("lloyd"), QuantizerMethod::kLloyd);
  EXPECT_EQ(parse_quantizer_method("uniform"), QuantizerMethod::kUniform);
  try {
    parse_quantizer_method("kmeans");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("uniform, lloyd"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hwgq
