#include "hwgq/layers/sigmoid_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter sigmoid_param() {
  LayerParameter p;
  p.set_name("act");
  p.set_type("Sigmoid");
  return p;
}

double expected_value(float v) { return 1.0 / (1.0 + std::exp(-double(v))); }

TEST(SigmoidLayer, ForwardByHand) {
  const float in[] = {-30.f, -2.f, -0.5f, 0.f, 0.5f, 2.f, 30.f};
  auto layer = create_layer(sigmoid_param());
  Blob x({7}), y;
  std::copy(in, in + 7, x.mutable_cpu_data());
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  for (int i = 0; i < 7; ++i) EXPECT_NEAR(y.cpu_data()[i], expected_value(in[i]), 1e-6) << in[i];
}

TEST(SigmoidLayer, Gradient) {
  auto layer = create_layer(sigmoid_param());
  Blob x({2, 3, 4}), y;
  test::fill_gaussian(&x, 9, 0.f, 1.5f);
  layer->setup({&x}, {&y});
  EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count());
}

TEST(SigmoidLayer, InPlaceMatchesOutOfPlace) {
  Blob x({3, 5}), y, z({3, 5});
  test::fill_gaussian(&x, 10);
  std::copy(x.cpu_data(), x.cpu_data() + x.count(), z.mutable_cpu_data());
  auto a = create_layer(sigmoid_param());
  auto b = create_layer(sigmoid_param());
  a->setup({&x}, {&y});
  b->setup({&z}, {&z});
  a->forward({&x}, {&y});
  b->forward({&z}, {&z});
  for (int i = 0; i < 15; ++i) {
    ASSERT_EQ(z.cpu_data()[i], y.cpu_data()[i]);
    y.mutable_cpu_diff()[i] = z.mutable_cpu_diff()[i] = 0.1f * i - 0.7f;
  }
  a->backward({&y}, {true}, {&x});
  b->backward({&z}, {true}, {&z});
  for (int i = 0; i < 15; ++i) {
    const float v = y.cpu_data()[i];
    EXPECT_FLOAT_EQ(x.cpu_diff()[i], (0.1f * i - 0.7f) * ([](float y) { return y * (1 - y); })(v));
    ASSERT_EQ(z.cpu_diff()[i], x.cpu_diff()[i]);
  }
}

TEST(SigmoidLayer, WrongBlobCounts) {
  Blob x({2}), y, w;
  EXPECT_THROW(create_layer(sigmoid_param())->setup({&x, &y}, {&w}), Error);
  EXPECT_THROW(create_layer(sigmoid_param())->setup({&x}, {}), Error);
}

}  // namespace
}  // namespace hwgq
