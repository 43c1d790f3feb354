// Every instruction set's Quant block loops against the scalar ones, bit for bit, at and
// next to every threshold (and zero), on specials, and on random values.
#include "hwgq/kernels/quant_kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "hwgq/common.hpp"

namespace hwgq::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<float> thresholds_of(const std::vector<float>& centers) {
  std::vector<float> t;
  for (size_t j = 0; j + 1 < centers.size(); ++j) t.push_back(0.5f * (centers[j] + centers[j + 1]));
  return t;
}

// Each of `points` and its two float neighbours, specials, and random values in
// [-2 max, 2 max]; an odd length so the vector loops have tails.
std::vector<float> probe_values(const std::vector<float>& points, float max, uint32_t seed) {
  std::vector<float> v = {0.f, -0.f, kInf, -kInf, std::nanf(""), std::numeric_limits<float>::denorm_min(),
                          -std::numeric_limits<float>::denorm_min(), 1e-30f, -1e-30f};
  for (float p : points) {
    v.push_back(p);
    v.push_back(std::nextafter(p, kInf));
    v.push_back(std::nextafter(p, -kInf));
    v.push_back(-p);
  }
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-2 * max, 2 * max);
  while (v.size() < 1001) v.push_back(dist(gen));
  // Shuffle so that the probes land in vector bodies and tails alike.
  std::shuffle(v.begin(), v.end(), gen);
  return v;
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b, const char* what, Isa isa) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(0, std::memcmp(&a[i], &b[i], sizeof(float)))
        << what << " with " << isa_name(isa) << ": element " << i << " is " << a[i] << " vs scalar " << b[i];
  }
}

const std::vector<std::vector<float>> kCenterSets = {
    {0.538f, 1.076f, 1.614f}, {0.453f, 1.51f}, {0.9f}, [] {
      std::vector<float> many;  // more than kMaxFixedCenters: the general loop
      for (int k = 1; k <= 20; ++k) many.push_back(0.1f * k + 0.001f * k * k);
      return many;
    }()};

TEST(QuantKernels, EveryInstructionSetMatchesScalarForward) {
  const QuantKernels& scalar = quant_kernels(Isa::kScalar);
  for (const auto& centers : kCenterSets) {
    const std::vector<float> thr = thresholds_of(centers);
    std::vector<float> points = thr;
    points.insert(points.end(), centers.begin(), centers.end());
    points.push_back(1.f);  // hard_tanh's clip
    const std::vector<float> x = probe_values(points, centers.back(), 7);
    const int n = static_cast<int>(x.size());
    for (Isa isa : supported_isas()) {
      const QuantKernels& k = quant_kernels(isa);
      for (float low : {0.f, -0.25f}) {
        std::vector<float> want(n), got(n);
        scalar.hwgq(x.data(), want.data(), 0, n, thr.data(), centers.data(), int(centers.size()), low);
        k.hwgq(x.data(), got.data(), 0, n, thr.data(), centers.data(), int(centers.size()), low);
        expect_same_bits(got, want, "hwgq", isa);
        std::vector<float> in_place = x;  // y == x
        k.hwgq(in_place.data(), in_place.data(), 3, n, thr.data(), centers.data(), int(centers.size()), low);
        std::copy(x.begin(), x.begin() + 3, want.begin());
        expect_same_bits(in_place, want, "hwgq in place", isa);
      }
      std::vector<float> want(n), got(n);
      scalar.sign(x.data(), want.data(), 0, n);
      k.sign(x.data(), got.data(), 0, n);
      expect_same_bits(got, want, "sign", isa);
      scalar.hard_tanh(x.data(), want.data(), 0, n);
      k.hard_tanh(x.data(), got.data(), 0, n);
      expect_same_bits(got, want, "hard_tanh", isa);
      for (float slope : {0.f, 0.1f}) {
        scalar.relu(x.data(), want.data(), 0, n, slope);
        k.relu(x.data(), got.data(), 0, n, slope);
        expect_same_bits(got, want, "relu", isa);
      }
    }
  }
}

TEST(QuantKernels, EveryInstructionSetMatchesScalarBackward) {
  const QuantKernels& scalar = quant_kernels(Isa::kScalar);
  const float clip = 1.614f, qm = 1.614f;
  const std::vector<float> x = probe_values({clip, -clip, qm - 1.f}, 2.f, 9);
  const std::vector<float> dy = probe_values({1.f}, 3.f, 10);
  const int n = static_cast<int>(x.size());
  for (Isa isa : supported_isas()) {
    const QuantKernels& k = quant_kernels(isa);
    std::vector<float> want(n), got(n);
    for (float slope : {0.f, 0.1f}) {
      for (float c : {clip, std::numeric_limits<float>::max()}) {
        scalar.relu_backward(x.data(), dy.data(), want.data(), 0, n, slope, c);
        k.relu_backward(x.data(), dy.data(), got.data(), 0, n, slope, c);
        expect_same_bits(got, want, "relu backward", isa);
      }
    }
    scalar.hard_tanh_backward(x.data(), dy.data(), want.data(), 0, n, clip);
    k.hard_tanh_backward(x.data(), dy.data(), got.data(), 0, n, clip);
    expect_same_bits(got, want, "hard_tanh backward", isa);
    scalar.log_tailed_backward(x.data(), dy.data(), want.data(), 0, n, qm);
    k.log_tailed_backward(x.data(), dy.data(), got.data(), 0, n, qm);
    expect_same_bits(got, want, "log_tailed backward", isa);
  }
}

TEST(QuantKernels, EveryInstructionSetMatchesScalarFusedWithBatchNorm) {
  const QuantKernels& scalar = quant_kernels(Isa::kScalar);
  const std::vector<float> centers = {0.538f, 1.076f, 1.614f};
  const int n = static_cast<int>(centers.size());
  // Two channels' cuts (rows: the zero cut, then one per threshold), stride 2.
  const std::vector<float> cut = {-0.3f, 0.2f, 0.1f, 0.7f, 0.9f, 1.3f};
  const std::vector<float> x = probe_values(cut, 2.f, 11);
  const int m = static_cast<int>(x.size());
  // Per-element cuts for the channels form: row r of element i is cut_rows[r * m + i].
  std::vector<float> cut_rows(size_t(n) * m);
  for (int r = 0; r < n; ++r) {
    for (int i = 0; i < m; ++i) cut_rows[size_t(r) * m + i] = cut[2 * r + i % 2];
  }
  for (Isa isa : supported_isas()) {
    const QuantKernels& k = quant_kernels(isa);
    std::vector<float> want(m), got(m);
    scalar.fused_hwgq_row(x.data(), want.data(), m, cut.data() + 1, 2, centers.data(), n, -0.1f);
    k.fused_hwgq_row(x.data(), got.data(), m, cut.data() + 1, 2, centers.data(), n, -0.1f);
    expect_same_bits(got, want, "fused hwgq row", isa);
    scalar.fused_hwgq_channels(x.data(), want.data(), m, cut_rows.data(), m, centers.data(), n, 0.f);
    k.fused_hwgq_channels(x.data(), got.data(), m, cut_rows.data(), m, centers.data(), n, 0.f);
    expect_same_bits(got, want, "fused hwgq channels", isa);
    scalar.fused_sign_row(x.data(), want.data(), m, 0.2f);
    k.fused_sign_row(x.data(), got.data(), m, 0.2f);
    expect_same_bits(got, want, "fused sign row", isa);
    scalar.fused_sign_channels(x.data(), want.data(), m, cut_rows.data());
    k.fused_sign_channels(x.data(), got.data(), m, cut_rows.data());
    expect_same_bits(got, want, "fused sign channels", isa);
  }
}

TEST(QuantKernels, RefusesInstructionSetsTheCpuLacks) {
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!isa_supported(isa)) {
      EXPECT_THROW(quant_kernels(isa), Error);
    }
  }
  EXPECT_NO_THROW(quant_kernels());
}

}  // namespace
}  // namespace hwgq::kernels
