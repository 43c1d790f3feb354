#include "hwgq/layers/softmax_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter softmax_param(int axis = 1) {
  LayerParameter p;
  p.set_name("prob");
  p.set_type("Softmax");
  if (axis != 1) p.mutable_softmax_param()->set_axis(axis);
  return p;
}

TEST(SoftmaxLayer, ForwardByHand) {
  auto layer = create_layer(softmax_param());
  Blob x({2, 3}), y;
  // exp of 0, ln 2, ln 3 is 1, 2, 3; the second row adds 1000, which a naive exp overflows.
  const float l2 = std::log(2.f), l3 = std::log(3.f);
  const float in[] = {0, l2, l3, 1000, 1000 + l2, 1000 + l3};
  std::copy(in, in + 6, x.mutable_cpu_data());
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(y.cpu_data()[n * 3 + c], (c + 1) / 6.f, 1e-4) << n << " " << c;
}

TEST(SoftmaxLayer, ForwardAlongChannelsOfImages) {
  auto layer = create_layer(softmax_param());
  Blob x({2, 3, 1, 2}), y;
  test::fill_gaussian(&x, 81);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  for (int n = 0; n < 2; ++n)
    for (int w = 0; w < 2; ++w) {
      double z = 0;
      for (int c = 0; c < 3; ++c) z += std::exp(x.cpu_data()[x.offset(n, c, 0, w)]);
      for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(y.cpu_data()[y.offset(n, c, 0, w)], std::exp(x.cpu_data()[x.offset(n, c, 0, w)]) / z, 1e-6);
    }
}

TEST(SoftmaxLayer, LastAxis) {
  auto layer = create_layer(softmax_param(-1));
  Blob x({2, 2, 2}), y;
  const float in[] = {0, 0, 1, 1, 0, std::log(3.f), 5, 5};
  std::copy(in, in + 8, x.mutable_cpu_data());
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  const float expected[] = {0.5f, 0.5f, 0.5f, 0.5f, 0.25f, 0.75f, 0.5f, 0.5f};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y.cpu_data()[i], expected[i], 1e-6) << i;
}

TEST(SoftmaxLayer, Gradient) {
  for (int axis : {1, 0, 3}) {
    auto layer = create_layer(softmax_param(axis));
    Blob x({2, 3, 2, 2}), y;
    test::fill_gaussian(&x, 82);
    layer->setup({&x}, {&y});
    EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count()) << "axis " << axis;
  }
}

// Shapes large enough for the threaded loops, against a double-precision reference.
TEST(SoftmaxLayer, LargerInputMatchesReference) {
  for (const std::vector<int>& shape : {std::vector<int>{128, 20, 8}, std::vector<int>{1024, 20}}) {
    auto layer = create_layer(softmax_param());
    Blob x(shape), y;
    test::fill_gaussian(&x, 83);
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    const int outer = shape[0], C = shape[1], inner = x.count(2);
    double worst = 0;
    for (int o = 0; o < outer; ++o)
      for (int i = 0; i < inner; ++i) {
        double z = 0;
        for (int c = 0; c < C; ++c) z += std::exp(double(x.cpu_data()[(o * C + c) * inner + i]));
        for (int c = 0; c < C; ++c) {
          const int k = (o * C + c) * inner + i;
          worst = std::max(worst, std::fabs(y.cpu_data()[k] - std::exp(double(x.cpu_data()[k])) / z));
        }
      }
    EXPECT_LT(worst, 1e-6) << shape.size() << "-d";
  }
}

TEST(SoftmaxLayer, RejectsAxisOutOfRange) {
  Blob x({2, 3}), y;
  try {
    create_layer(softmax_param(2))->setup({&x}, {&y});
    FAIL() << "expected an axis error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"prob\""), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hwgq
