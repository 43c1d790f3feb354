#include "hwgq/layers/pooling_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <string>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

LayerParameter pool_param(const std::string& text) {
  LayerParameter param;
  parse_text_proto("name: \"pool\" type: \"Pooling\" pooling_param { " + text + " }", "test", &param);
  return param;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

void expect_values(const Blob& blob, const std::vector<float>& values) {
  ASSERT_EQ(blob.count(), (int)values.size());
  for (int i = 0; i < blob.count(); ++i) EXPECT_NEAR(blob.cpu_data()[i], values[i], 1e-5f) << "element " << i;
}

// Distinct values 0.05 apart in shuffled order: no ties, and a +-0.01 step never changes
// which input is a window's maximum.
void fill_distinct(Blob* blob, uint32_t seed) {
  std::vector<int> order(blob->count());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  for (int i = 0; i < blob->count(); ++i) blob->mutable_cpu_data()[i] = 0.05f * (order[i] - blob->count() / 2);
}

// 5 x 5 ramp 0..24, kernel 2, stride 2: CEIL gives 3 x 3 (the last windows hang over the
// edge), FLOOR gives 2 x 2.
TEST(PoolingLayer, MaxCeilAndFloor) {
  Blob x({1, 1, 5, 5}), y;
  for (int i = 0; i < 25; ++i) x.mutable_cpu_data()[i] = static_cast<float>(i);
  PoolingLayer ceil_layer(pool_param("pool: MAX kernel_size: 2 stride: 2"));
  ceil_layer.setup({&x}, {&y});
  ceil_layer.forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 3, 3}));
  expect_values(y, {6, 8, 9, 16, 18, 19, 21, 23, 24});
  PoolingLayer floor_layer(pool_param("pool: MAX kernel_size: 2 stride: 2 round_mode: FLOOR"));
  floor_layer.setup({&x}, {&y});
  floor_layer.forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 2, 2}));
  expect_values(y, {6, 8, 16, 18});
}

// 4 x 4 ones, kernel 3, stride 2, pad 1: 3 x 3 outputs. The divisor is the window clipped
// to the padded extent (9 inside, 6 along the last row/column, 4 in the corner), while
// only the real inputs are summed.
TEST(PoolingLayer, AveragePaddedDivisors) {
  Blob x({1, 1, 4, 4}), y;
  x.set_data(1.f);
  PoolingLayer layer(pool_param("pool: AVE kernel_size: 3 stride: 2 pad: 1"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 3, 3}));
  // Window rows: [-1, 2) -> 2 real of 3; [1, 4) -> 3 of 3; [3, 5) -> 1 of 2.
  expect_values(y, {4.f / 9, 6.f / 9, 2.f / 6, 6.f / 9, 9.f / 9, 3.f / 6, 2.f / 6, 3.f / 6, 1.f / 4});
}

// 4 x 4, kernel 3, stride 3, pad 2: ceil((4 + 4 - 3) / 3) + 1 = 3, but the third window
// would start at 6 - 2 = 4, past the bottom, so Caffe's rule drops it: 2 x 2.
TEST(PoolingLayer, DropsWindowStartingInPadding) {
  Blob x({1, 1, 4, 4}), y;
  for (int i = 0; i < 16; ++i) x.mutable_cpu_data()[i] = static_cast<float>(i);
  PoolingLayer layer(pool_param("pool: MAX kernel_size: 3 stride: 3 pad: 2"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 2, 2}));
  // Windows cover rows/cols [0, 1) and [1, 4).
  expect_values(y, {0, 3, 12, 15});
  PoolingLayer ave(pool_param("pool: AVE kernel_size: 3 stride: 3 pad: 2"));
  ave.setup({&x}, {&y});
  ave.forward({&x}, {&y});
  // First window [-2, 1) x [-2, 1): one real input (0) over 9; last [1, 4) x [1, 4).
  expect_values(y, {0.f / 9, (1 + 2 + 3) / 9.f, (4 + 8 + 12) / 9.f, (5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15) / 9.f});
}

// Kernel smaller than the stride without padding: ceil((5 - 1) / 3) + 1 = 3, but the third
// window would start at 6, past the bottom. Caffe keeps it (an empty window, argmax -1);
// hwgq applies the same drop rule as with padding, so every window sees an input.
TEST(PoolingLayer, DropsEmptyWindowWithoutPadding) {
  Blob x({1, 1, 1, 5}), y;
  set_values(&x, {1, 2, 3, 4, 5});
  PoolingLayer layer(pool_param("pool: MAX kernel_h: 1 kernel_w: 1 stride_h: 1 stride_w: 3"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 1, 2}));
  expect_values(y, {1, 4});
}

TEST(PoolingLayer, RectangularKernelStrideAndPad) {
  Blob x({1, 1, 3, 4}), y;
  for (int i = 0; i < 12; ++i) x.mutable_cpu_data()[i] = static_cast<float>(i);
  PoolingLayer layer(
      pool_param("pool: AVE kernel_h: 3 kernel_w: 2 stride_h: 1 stride_w: 2 pad_h: 1 round_mode: FLOOR"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  // Height: (3 + 2 - 3) / 1 + 1 = 3, width: (4 - 2) / 2 + 1 = 2.
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 3, 2}));
  expect_values(y, {(0 + 1 + 4 + 5) / 6.f, (2 + 3 + 6 + 7) / 6.f, (0 + 1 + 4 + 5 + 8 + 9) / 6.f,
                    (2 + 3 + 6 + 7 + 10 + 11) / 6.f, (4 + 5 + 8 + 9) / 6.f, (6 + 7 + 10 + 11) / 6.f});
}

TEST(PoolingLayer, GlobalPoolingOddShape) {
  Blob x({2, 13, 7, 5}), y;
  fill_distinct(&x, 3);
  for (const char* method : {"MAX", "AVE"}) {
    PoolingLayer layer(pool_param(std::string("pool: ") + method + " global_pooling: true"));
    layer.setup({&x}, {&y});
    layer.forward({&x}, {&y});
    ASSERT_EQ(y.shape(), (std::vector<int>{2, 13, 1, 1}));
    for (int plane = 0; plane < 26; ++plane) {
      const float* p = x.cpu_data() + plane * 35;
      const float expected = std::string(method) == "MAX" ? *std::max_element(p, p + 35)
                                                          : std::accumulate(p, p + 35, 0.f) / 35.f;
      EXPECT_NEAR(y.cpu_data()[plane], expected, 1e-5f) << method << " plane " << plane;
    }
  }
}

// Direct evaluation of Caffe's window rules, for a bottom large enough that the planes are
// spread over threads.
TEST(PoolingLayer, MatchesReferenceOnLargerInput) {
  Blob x({4, 16, 24, 23}), y;
  fill_distinct(&x, 13);
  for (const char* method : {"MAX", "AVE"}) {
    PoolingLayer layer(pool_param(std::string("pool: ") + method + " kernel_size: 3 stride: 2 pad: 1"));
    layer.setup({&x}, {&y});
    layer.forward({&x}, {&y});
    // Height: ceil((24 + 2 - 3) / 2) + 1 = 13 (the last window, rows [23, 26), keeps one
    // real row); width: ceil((23 + 2 - 3) / 2) + 1 = 12.
    ASSERT_EQ(y.shape(), (std::vector<int>{4, 16, 13, 12}));
    for (int plane = 0; plane < 64; ++plane) {
      const float* p = x.cpu_data() + plane * 24 * 23;
      for (int ph = 0; ph < 13; ++ph) {
        for (int pw = 0; pw < 12; ++pw) {
          const int hs = 2 * ph - 1, ws = 2 * pw - 1;
          const int he = std::min(hs + 3, 24 + 1), we = std::min(ws + 3, 23 + 1);
          float best = -FLT_MAX, sum = 0;
          for (int h = std::max(hs, 0); h < std::min(he, 24); ++h) {
            for (int w = std::max(ws, 0); w < std::min(we, 23); ++w) {
              best = std::max(best, p[h * 23 + w]);
              sum += p[h * 23 + w];
            }
          }
          const float expected = std::string(method) == "MAX" ? best : sum / ((he - hs) * (we - ws));
          ASSERT_NEAR(y.cpu_data()[(plane * 13 + ph) * 12 + pw], expected, 1e-4f) << method << " " << plane;
        }
      }
    }
  }
}

TEST(PoolingLayer, MaskTopAndFirstMaximumWinsTies) {
  Blob x({1, 1, 2, 4}), y, mask;
  set_values(&x, {1, 5, 2, 2, 5, 0, 2, 2});
  PoolingLayer layer(pool_param("pool: MAX kernel_size: 2 stride: 2"));
  layer.setup({&x}, {&y, &mask});
  layer.forward({&x}, {&y, &mask});
  expect_values(y, {5, 2});
  expect_values(mask, {1, 2});
  // Backward routes each gradient to the recorded input only.
  y.mutable_cpu_diff()[0] = 3.f;
  y.mutable_cpu_diff()[1] = -1.f;
  layer.backward({&y, &mask}, {true}, {&x});
  const std::vector<float> expected = {0, 3, -1, 0, 0, 0, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(x.cpu_diff()[i], expected[i]) << i;
}

TEST(PoolingLayer, Gradients) {
  const std::vector<std::string> configs = {
      "pool: MAX kernel_size: 3 stride: 2",
      "pool: MAX kernel_size: 3 stride: 2 pad: 1",
      "pool: MAX kernel_h: 2 kernel_w: 3 stride_h: 2 stride_w: 1 pad_w: 1 round_mode: FLOOR",
      "pool: MAX global_pooling: true",
      "pool: AVE kernel_size: 3 stride: 2",
      "pool: AVE kernel_size: 3 stride: 2 pad: 1",
      "pool: AVE kernel_size: 2 stride: 3 pad: 1 round_mode: FLOOR",
      "pool: AVE global_pooling: true",
  };
  for (const auto& config : configs) {
    SCOPED_TRACE(config);
    Blob x({2, 3, 7, 5}), y;
    fill_distinct(&x, 9);
    PoolingLayer layer(pool_param(config));
    layer.setup({&x}, {&y});
    EXPECT_GT(test::check_gradients(layer, {&x}, {&y}), 0);
  }
}

TEST(PoolingLayer, GradientsWithMaskTop) {
  Blob x({1, 2, 5, 6}), y, mask;
  fill_distinct(&x, 5);
  PoolingLayer layer(pool_param("pool: MAX kernel_size: 2 stride: 2 pad: 1"));
  layer.setup({&x}, {&y, &mask});
  // The mask is an index, not a function to differentiate; checking the pooled top is
  // what matters, and the mask's own projection stays constant under small steps.
  EXPECT_GT(test::check_gradients(layer, {&x}, {&y, &mask}), 0);
}

void expect_setup_error(const LayerParameter& param, const std::vector<int>& shape, const std::string& fragment,
                        int tops = 1) {
  Blob x(shape), y, mask;
  BlobVec top = {&y};
  if (tops == 2) top.push_back(&mask);
  try {
    PoolingLayer layer(param);
    layer.setup({&x}, top);
    ADD_FAILURE() << "expected an error containing \"" << fragment << "\"";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_NE(message.find("\"pool\""), std::string::npos) << message;
  }
}

TEST(PoolingLayer, RejectsBadParameters) {
  expect_setup_error(pool_param("pool: STOCHASTIC kernel_size: 2"), {1, 1, 4, 4}, "STOCHASTIC");
  expect_setup_error(pool_param("pool: MAX"), {1, 1, 4, 4}, "kernel_size");
  expect_setup_error(pool_param("kernel_size: 0"), {1, 1, 4, 4}, "kernel size must be > 0");
  expect_setup_error(pool_param("kernel_size: 2 stride: 0"), {1, 1, 4, 4}, "stride must be > 0");
  expect_setup_error(pool_param("kernel_size: 2 pad: 2"), {1, 1, 4, 4}, "smaller than the kernel");
  expect_setup_error(pool_param("kernel_h: 3 kernel_w: 2 pad_w: 2"), {1, 1, 4, 4}, "smaller than the kernel");
  expect_setup_error(pool_param("kernel_h: 3"), {1, 1, 4, 4}, "kernel_h and kernel_w");
  expect_setup_error(pool_param("kernel_size: 2 kernel_h: 2 kernel_w: 2"), {1, 1, 4, 4}, "not both");
  expect_setup_error(pool_param("global_pooling: true kernel_size: 2"), {1, 1, 4, 4}, "global_pooling");
  expect_setup_error(pool_param("global_pooling: true pad: 1"), {1, 1, 4, 4}, "pad 0");
  expect_setup_error(pool_param("kernel_size: 5"), {1, 1, 4, 4}, "larger than the padded bottom");
  expect_setup_error(pool_param("kernel_size: 2"), {1, 4, 4}, "4-d bottom");
  expect_setup_error(pool_param("pool: AVE kernel_size: 2"), {1, 1, 4, 4}, "at most 1 top", 2);
}

TEST(PoolingLayer, RegisteredAndReshapes) {
  auto layer = create_layer(pool_param("pool: MAX kernel_size: 3 stride: 2"));
  EXPECT_STREQ(layer->type(), "Pooling");
  Blob x({1, 2, 13, 13}), y;
  layer->setup({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 2, 6, 6}));
  x.reshape({3, 2, 27, 27});
  layer->forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{3, 2, 13, 13}));
}

}  // namespace
}  // namespace hwgq

namespace hwgq {
namespace {

// A TEST-phase max pooling computes values without tracking positions (a vectorised
// path); it must give the tracking path's values bit for bit, ties between +0 and -0 and
// NaN inputs included, and a backward after it must find the same positions.
TEST(PoolingLayer, InferencePathMatchesTrackingPathAndBackward) {
  for (const std::string& geometry :
       {"kernel_size: 3 stride: 2", "kernel_size: 3 stride: 2 pad: 1", "kernel_size: 2 stride: 2",
        "kernel_h: 3 kernel_w: 2 stride_h: 1 stride_w: 3 pad_w: 1", "kernel_size: 5 stride: 1 pad: 2"}) {
    SCOPED_TRACE(geometry);
    LayerParameter train_param = pool_param("pool: MAX " + geometry);
    LayerParameter test_param = train_param;
    test_param.set_phase(TEST);
    auto train = create_layer(train_param);
    auto test = create_layer(test_param);
    Blob x({2, 3, 13, 17}), y_train, y_test;
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> pick(0, 9);
    for (int i = 0; i < x.count(); ++i) {
      const int r = pick(rng);
      // Few distinct values, so windows hold ties; signed zeros and NaNs among them.
      x.mutable_cpu_data()[i] = r == 0 ? -0.f : r == 1 ? 0.f : r == 2 ? std::nanf("") : float(r % 4) - 1.f;
    }
    train->setup({&x}, {&y_train});
    test->setup({&x}, {&y_test});
    train->forward({&x}, {&y_train});
    test->forward({&x}, {&y_test});
    ASSERT_EQ(y_train.count(), y_test.count());
    for (int i = 0; i < y_train.count(); ++i) {
      const float a = y_train.cpu_data()[i], b = y_test.cpu_data()[i];
      ASSERT_EQ(std::memcmp(&a, &b, sizeof(float)), 0) << "output " << i << ": " << a << " vs " << b;
    }
    Blob x_train({2, 3, 13, 17});  // shapes the gradient; the tracking path needs no data
    for (int i = 0; i < y_train.count(); ++i) {
      y_train.mutable_cpu_diff()[i] = 0.25f * (i % 7);
      y_test.mutable_cpu_diff()[i] = 0.25f * (i % 7);
    }
    train->backward({&y_train}, {true}, {&x_train});
    test->backward({&y_test}, {true}, {&x});
    for (int i = 0; i < x.count(); ++i) ASSERT_EQ(x.cpu_diff()[i], x_train.cpu_diff()[i]) << "input " << i;
  }
}

}  // namespace
}  // namespace hwgq
