// Helpers of the BatchNorm + Quant fusion tests (CPU and GPU): a small Input -> BatchNorm
// -> Quant net in any in-place layout, running statistics that make moving thresholds
// hard, inputs at and next to the moved thresholds, and a bit-for-bit comparison.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/net.hpp"
#include "hwgq/quant/normalized_threshold.hpp"
#include "test_util.hpp"

namespace hwgq::test {

inline constexpr float kInf = std::numeric_limits<float>::infinity();

struct Layout {
  bool bn_in_place;
  bool quant_in_place;
};

// Input -> BatchNorm -> Quant with the given quant_param body and input shape.
inline NetParameter fusion_net(const std::string& quant_param, const std::vector<int>& shape, Layout layout,
                               const std::string& extra = "") {
  std::string dims;
  for (int d : shape) dims += " dim: " + std::to_string(d);
  const std::string bn_top = layout.bn_in_place ? "x" : "b";
  const std::string q_top = layout.quant_in_place ? bn_top : "y";
  return net_from_text("name: 'fusion'\n"
                       "layer { name: 'in' type: 'Input' top: 'x' input_param { shape {" + dims + " } } }\n"
                       "layer { name: 'bn' type: 'BatchNorm' bottom: 'x' top: '" + bn_top + "' }\n"
                       "layer { name: 'q' type: 'Quant' bottom: '" + bn_top + "' top: '" + q_top +
                       "' quant_param { " + quant_param + " } }\n" + extra);
}

inline bool fused(const Net& net, const std::string& quant = "q") {
  return dynamic_cast<const QuantLayer&>(*net.layer_by_name(quant)).fused();
}

// Running sums with a normaliser of 2.5: means around 0 (one channel far off, which makes
// the moved thresholds cancel badly), variances from tiny to large.
inline void set_statistics(Net& net, uint64_t seed, const std::string& bn = "bn") {
  Layer* layer = net.layer_by_name(bn);
  const int C = layer->blobs()[0]->count();
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> mean(0.f, 2.f);
  std::uniform_real_distribution<float> log_var(-8.f, 3.f);
  float* m = layer->blobs()[0]->mutable_cpu_data();
  float* v = layer->blobs()[1]->mutable_cpu_data();
  for (int c = 0; c < C; ++c) {
    m[c] = 2.5f * mean(gen);
    v[c] = 2.5f * std::exp(log_var(gen));
  }
  if (C > 2) m[2] = 2.5f * 1000.f;
  layer->blobs()[2]->mutable_cpu_data()[0] = 2.5f;
}

inline void copy_statistics(const Net& from, Net& to) {
  const Layer* a = from.layer_by_name("bn");
  Layer* b = to.layer_by_name("bn");
  for (int i = 0; i < 3; ++i) {
    std::copy_n(a->blobs()[i]->cpu_data(), a->blobs()[i]->count(), b->blobs()[i]->mutable_cpu_data());
  }
}

// Gaussian values around each channel's mean, and (near_thresholds) in every third element
// a value at or next to a threshold as seen from x: the exact cut, the cut's float
// neighbours, and the naive mean + t / inv_std with its neighbours; plus zeros, infinities,
// NaN and the mean.
inline void fill_input(Net& net, uint64_t seed, bool near_thresholds = true) {
  auto& bn = dynamic_cast<BatchNormLayer&>(*net.layer_by_name("bn"));
  const auto& quant = dynamic_cast<const QuantLayer&>(*net.layer_by_name("q"));
  const float* mean = nullptr;
  const float* inv_std = nullptr;
  bn.global_normalization_cpu(&mean, &inv_std);
  std::vector<float> cuts = {0.f};
  for (float t : quant.thresholds()) cuts.push_back(t);
  cuts.push_back(-1.f);  // hard_tanh's corners
  cuts.push_back(1.f);
  const bool inclusive_zero = quant.forward_func() == QuantLayer::Forward::kSign;

  Blob* x = net.input_blobs()[0];
  const int C = x->num_axes() > 1 ? x->shape(1) : 1;
  const int S = x->num_axes() > 2 ? x->count(2) : 1;
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> noise(0.f, 1.5f);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(cuts.size()) - 1);
  std::uniform_int_distribution<int> kind(0, 9);
  const float specials[] = {0.f, -0.f, kInf, -kInf, std::numeric_limits<float>::quiet_NaN()};
  float* data = x->mutable_cpu_data();
  for (int i = 0; i < x->count(); ++i) {
    const int c = (i / S) % C;
    const float m = mean[c], k = inv_std[c];
    float value = m + noise(gen) / k;
    if (near_thresholds && i % 3 == 1 && normalization_is_monotone(m, k)) {
      const int r = pick(gen);
      const bool inclusive = r == 0 && inclusive_zero;
      const float exact = normalized_threshold(m, k, cuts[r], inclusive);
      const float naive = m + cuts[r] / k;
      switch (kind(gen)) {
        case 0: case 1: value = exact; break;
        case 2: value = std::nextafter(exact, -kInf); break;
        case 3: value = std::nextafter(std::nextafter(exact, -kInf), -kInf); break;
        case 4: value = std::nextafter(exact, kInf); break;
        case 5: value = naive; break;
        case 6: value = std::nextafter(naive, -kInf); break;
        case 7: value = std::nextafter(naive, kInf); break;
        case 8: value = m; break;
        default: value = specials[i % 5]; break;
      }
    }
    data[i] = value;
  }
}

// Bit-for-bit equal, NaN matching NaN.
inline void expect_identical(const Blob& a, const Blob& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  int bad = 0;
  for (int i = 0; i < a.count(); ++i) {
    const float p = a.cpu_data()[i], q = b.cpu_data()[i];
    const bool same = (std::isnan(p) && std::isnan(q)) || std::memcmp(&p, &q, sizeof p) == 0;
    if (!same && bad++ < 5) ADD_FAILURE() << what << ": [" << i << "] unfused " << p << " fused " << q;
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << a.count() << " values differ";
}

inline Blob& quant_output(Net& net) { return *net.top_vecs(net.layers().size() - 1)[0]; }

}  // namespace hwgq::test
