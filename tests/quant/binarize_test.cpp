#include "hwgq/quant/binarize.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace hwgq {
namespace {

TEST(Binarize, AlphaIsMeanAbsolutePerRowAndZeroMapsToPlusOne) {
  const std::vector<float> w = {0.5f, -1.5f, 0.f, 2.f,  // mean |w| = 1
                                -0.1f, -0.3f, 0.2f, 0.2f};  // mean |w| = 0.2
  std::vector<float> out(8), alphas(2);
  binarize_rows(w.data(), 2, 4, true, out.data(), alphas.data());
  EXPECT_FLOAT_EQ(alphas[0], 1.f);
  EXPECT_FLOAT_EQ(alphas[1], 0.2f);
  const std::vector<float> expected = {1, -1, 1, 1, -0.2f, -0.2f, 0.2f, 0.2f};
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(out[i], expected[i]) << i;
}

TEST(Binarize, WithoutAlphaGivesPlusMinusOne) {
  const std::vector<float> w = {0.5f, -1.5f, 0.f, -0.f, 3.f, -2.f};
  std::vector<float> out(6), alphas(3);
  binarize_rows(w.data(), 3, 2, false, out.data(), alphas.data());
  // -0.0 >= 0 holds, so it maps to +1 like 0.
  const std::vector<float> expected = {1, -1, 1, 1, 1, -1};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out[i], expected[i]) << i;
  for (float a : alphas) EXPECT_EQ(a, 1.f);
}

TEST(Binarize, InPlaceAndNullAlphas) {
  std::vector<float> w = {-2.f, 4.f, 0.f};
  binarize_rows(w.data(), 1, 3, true, w.data(), nullptr);
  EXPECT_FLOAT_EQ(w[0], -2.f);
  EXPECT_FLOAT_EQ(w[1], 2.f);
  EXPECT_FLOAT_EQ(w[2], 2.f);
}

}  // namespace
}  // namespace hwgq
