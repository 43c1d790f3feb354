// Shared by the packed binary layer tests: Quant outputs as inputs, and the comparison
// with the float layers.
#pragma once

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hwgq/blob.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::test {

// The paper's uniform 2-bit levels, a non-uniform 2-level set and a single level.
inline const std::vector<std::vector<float>>& packed_test_level_sets() {
  static const std::vector<std::vector<float>> sets = {{0.538f, 1.076f, 1.614f}, {0.453f, 1.51f}, {0.9f}};
  return sets;
}

inline std::string centers_text(const std::vector<float>& levels) {
  std::ostringstream out;
  out.precision(9);
  out << "quant_param {";
  for (float q : levels) out << " centers: " << q;
  out << " }";
  return out.str();
}

// A Quant layer's output for gaussian inputs (mean 0.5, std 1): about a third zeros.
inline void quantized_input(const std::vector<float>& levels, uint32_t seed, Blob* out) {
  Blob raw(out->shape());
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.5f, 1.f);
  for (int i = 0; i < raw.count(); ++i) raw.mutable_cpu_data()[i] = dist(gen);
  LayerParameter param;
  parse_text_proto("name: \"q\" type: \"Quant\" " + centers_text(levels), "test", &param);
  QuantLayer quant(param);
  quant.setup({&raw}, {out});
  quant.forward({&raw}, {out});
}

// Float accumulation of n products in any order is off by at most gamma_n * sum |terms|
// with gamma_n ~ n * 2^-24; the packed path is exact up to one final rounding. So the two
// agree within (n + 2) * FLT_EPSILON * (sum |terms| + |bias|), FLT_EPSILON = 2 * 2^-24
// leaving a factor 2 of slack. magnitude[i] is sum |terms| of output i (without bias).
inline void expect_within_float_accumulation(const Blob& packed, const Blob& reference, const std::vector<float>& magnitude,
                                             const float* bias, int outputs_per_bias_row, int channels,
                                             int reduction) {
  ASSERT_EQ(packed.shape(), reference.shape());
  for (int i = 0; i < packed.count(); ++i) {
    const int o = (i / outputs_per_bias_row) % channels;
    const double scale = magnitude[i] + (bias ? std::fabs(bias[o]) : 0.0);
    const double tolerance = (reduction + 2) * double(FLT_EPSILON) * scale;
    ASSERT_NEAR(packed.cpu_data()[i], reference.cpu_data()[i], tolerance) << "output " << i;
  }
}

}  // namespace hwgq::test
