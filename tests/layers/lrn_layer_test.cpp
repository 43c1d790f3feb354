#include "hwgq/layers/lrn_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter lrn_param(LRNParameter::NormRegion region, int size, float alpha, float beta, float k) {
  LayerParameter p;
  p.set_name("norm1");
  p.set_type("LRN");
  LRNParameter* lrn = p.mutable_lrn_param();
  lrn->set_norm_region(region);
  lrn->set_local_size(size);
  lrn->set_alpha(alpha);
  lrn->set_beta(beta);
  lrn->set_k(k);
  return p;
}

// The definition written out directly, in double precision.
std::vector<float> reference(const Blob& x, LRNParameter::NormRegion region, int size, double alpha, double beta,
                             double k) {
  const int N = x.num(), C = x.channels(), H = x.height(), W = x.width(), half = (size - 1) / 2;
  const float* d = x.cpu_data();
  std::vector<float> y(x.count());
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w) {
          double sum = 0;
          if (region == LRNParameter::ACROSS_CHANNELS) {
            for (int cc = std::max(0, c - half); cc <= std::min(C - 1, c + half); ++cc) {
              const double v = d[x.offset(n, cc, h, w)];
              sum += v * v;
            }
            sum *= alpha / size;
          } else {
            for (int hh = std::max(0, h - half); hh <= std::min(H - 1, h + half); ++hh)
              for (int ww = std::max(0, w - half); ww <= std::min(W - 1, w + half); ++ww) {
                const double v = d[x.offset(n, c, hh, ww)];
                sum += v * v;
              }
            sum *= alpha / (size * size);
          }
          const int i = x.offset(n, c, h, w);
          y[i] = static_cast<float>(d[i] * std::pow(k + sum, -beta));
        }
  return y;
}

TEST(LRNLayer, AcrossChannelsByHand) {
  // alpha / n = 1, beta = 1, k = 1: y_c = x_c / (1 + sum of squares of channels c-1..c+1).
  auto layer = create_layer(lrn_param(LRNParameter::ACROSS_CHANNELS, 3, 3.f, 1.f, 1.f));
  Blob x({1, 3, 1, 1}), y;
  const float in[] = {1, 2, 3};
  std::copy(in, in + 3, x.mutable_cpu_data());
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  EXPECT_FLOAT_EQ(y.cpu_data()[0], 1.f / 6.f);
  EXPECT_FLOAT_EQ(y.cpu_data()[1], 2.f / 15.f);
  EXPECT_FLOAT_EQ(y.cpu_data()[2], 3.f / 14.f);
}

TEST(LRNLayer, WithinChannelByHand) {
  // 3 x 3 window, alpha / n^2 = 1, beta = 1, k = 1 on the image 1..9.
  auto layer = create_layer(lrn_param(LRNParameter::WITHIN_CHANNEL, 3, 9.f, 1.f, 1.f));
  Blob x({1, 1, 3, 3}), y;
  for (int i = 0; i < 9; ++i) x.mutable_cpu_data()[i] = float(i + 1);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  EXPECT_FLOAT_EQ(y.cpu_data()[0], 1.f / 47.f);   // 1 + (1 + 4 + 16 + 25)
  EXPECT_FLOAT_EQ(y.cpu_data()[1], 2.f / 92.f);   // 1 + (1 + 4 + 9 + 16 + 25 + 36)
  EXPECT_FLOAT_EQ(y.cpu_data()[4], 5.f / 286.f);  // 1 + all nine squares
  EXPECT_FLOAT_EQ(y.cpu_data()[8], 9.f / 207.f);  // 1 + (25 + 36 + 64 + 81)
}

TEST(LRNLayer, MatchesDefinitionOnOddShapes) {
  struct Case {
    LRNParameter::NormRegion region;
    int size;
    float alpha, beta, k;
  };
  // AlexNet's settings, a general beta, a window wider than the blob, and local_size 1.
  const Case cases[] = {{LRNParameter::ACROSS_CHANNELS, 5, 1e-4f, 0.75f, 1.f},
                        {LRNParameter::ACROSS_CHANNELS, 5, 0.8f, 0.75f, 2.f},
                        {LRNParameter::ACROSS_CHANNELS, 3, 1.5f, 0.6f, 1.f},
                        {LRNParameter::ACROSS_CHANNELS, 31, 2.f, 0.75f, 1.f},
                        {LRNParameter::ACROSS_CHANNELS, 1, 1.f, 0.5f, 1.f},
                        {LRNParameter::WITHIN_CHANNEL, 3, 1.2f, 0.75f, 1.f},
                        {LRNParameter::WITHIN_CHANNEL, 5, 2.f, 0.4f, 3.f},
                        {LRNParameter::WITHIN_CHANNEL, 9, 1.f, 0.75f, 1.f}};
  Blob x({2, 13, 5, 7}), y;
  test::fill_gaussian(&x, 21);
  for (int i = 0; i < x.count(); ++i) x.mutable_cpu_data()[i] *= 3.f;
  for (const Case& c : cases) {
    auto layer = create_layer(lrn_param(c.region, c.size, c.alpha, c.beta, c.k));
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    const std::vector<float> expected = reference(x, c.region, c.size, c.alpha, c.beta, c.k);
    for (int i = 0; i < x.count(); ++i)
      ASSERT_NEAR(y.cpu_data()[i], expected[i], 1e-5f * std::max(1.f, std::fabs(expected[i])))
          << LRNParameter::NormRegion_Name(c.region) << " size " << c.size << " element " << i;
  }
}

TEST(LRNLayer, MatchesDefinitionOnLargePlanes) {
  // A plane wider than one work strip, and enough work for the threaded path.
  Blob x({2, 8, 48, 48}), y;
  test::fill_gaussian(&x, 23);
  for (auto region : {LRNParameter::ACROSS_CHANNELS, LRNParameter::WITHIN_CHANNEL}) {
    auto layer = create_layer(lrn_param(region, 3, 1.f, 0.75f, 1.f));
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    const std::vector<float> expected = reference(x, region, 3, 1.0, 0.75, 1.0);
    for (int i = 0; i < x.count(); ++i) ASSERT_NEAR(y.cpu_data()[i], expected[i], 1e-5f) << i;
  }
}

TEST(LRNLayer, GradientAcrossChannels) {
  for (float beta : {0.75f, 0.6f}) {
    auto layer = create_layer(lrn_param(LRNParameter::ACROSS_CHANNELS, 3, 0.5f, beta, 2.f));
    Blob x({2, 7, 3, 3}), y;
    test::fill_gaussian(&x, 31);
    layer->setup({&x}, {&y});
    EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count());
  }
  // Large alpha, so the normalization term dominates the gradient.
  auto layer = create_layer(lrn_param(LRNParameter::ACROSS_CHANNELS, 5, 5.f, 0.75f, 1.f));
  Blob x({1, 6, 2, 3}), y;
  test::fill_gaussian(&x, 32);
  layer->setup({&x}, {&y});
  EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count());
}

TEST(LRNLayer, GradientWithinChannel) {
  for (float beta : {0.75f, 0.6f}) {
    auto layer = create_layer(lrn_param(LRNParameter::WITHIN_CHANNEL, 3, 2.f, beta, 1.5f));
    Blob x({2, 2, 5, 4}), y;
    test::fill_gaussian(&x, 41);
    layer->setup({&x}, {&y});
    EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count());
  }
}

TEST(LRNLayer, Errors) {
  Blob x({2, 3, 4, 4}), y;
  try {
    create_layer(lrn_param(LRNParameter::ACROSS_CHANNELS, 4, 1.f, 0.75f, 1.f))->setup({&x}, {&y});
    FAIL() << "expected an error for an even local_size";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"norm1\""), std::string::npos) << what;
    EXPECT_NE(what.find("local_size"), std::string::npos) << what;
  }
  EXPECT_THROW(create_layer(lrn_param(LRNParameter::WITHIN_CHANNEL, 0, 1.f, 0.75f, 1.f))->setup({&x}, {&y}), Error);
  Blob flat({2, 3});
  EXPECT_THROW(create_layer(lrn_param(LRNParameter::ACROSS_CHANNELS, 3, 1.f, 0.75f, 1.f))->setup({&flat}, {&y}),
               Error);
  EXPECT_THROW(create_layer(lrn_param(LRNParameter::ACROSS_CHANNELS, 3, 1.f, 0.75f, 1.f))->setup({&x}, {&x}), Error);
}

}  // namespace
}  // namespace hwgq
