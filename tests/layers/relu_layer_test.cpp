#include "hwgq/layers/relu_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter relu_param(float slope) {
  LayerParameter p;
  p.set_name("relu1");
  p.set_type("ReLU");
  if (slope != 0.f) p.mutable_relu_param()->set_negative_slope(slope);
  return p;
}

TEST(ReLULayer, ForwardByHand) {
  const float in[] = {-2.f, -0.5f, 0.f, 0.5f, 3.f};
  for (float slope : {0.f, 0.1f}) {
    auto layer = create_layer(relu_param(slope));
    Blob x({5}), y;
    std::copy(in, in + 5, x.mutable_cpu_data());
    layer->setup({&x}, {&y});
    layer->forward({&x}, {&y});
    const float expected[] = {-2.f * slope, -0.5f * slope, 0.f, 0.5f, 3.f};
    for (int i = 0; i < 5; ++i) EXPECT_FLOAT_EQ(y.cpu_data()[i], expected[i]) << "slope " << slope << " i " << i;
  }
}

TEST(ReLULayer, Gradient) {
  for (float slope : {0.f, 0.2f}) {
    auto layer = create_layer(relu_param(slope));
    Blob x({2, 3, 4, 5}), y;
    test::fill_gaussian(&x, 3);
    layer->setup({&x}, {&y});
    test::GradientCheckOptions options;
    options.crosses_kink = test::kinks_at({0.f});
    EXPECT_GT(test::check_gradients(*layer, {&x}, {&y}, options), 100);
  }
}

TEST(ReLULayer, InPlaceMatchesOutOfPlace) {
  for (float slope : {0.f, 0.3f}) {
    Blob x({3, 4, 5}), dy({3, 4, 5}), y;
    test::fill_gaussian(&x, 5);
    test::fill_gaussian(&dy, 6);
    auto out_of_place = create_layer(relu_param(slope));
    out_of_place->setup({&x}, {&y});
    out_of_place->forward({&x}, {&y});
    std::copy(dy.cpu_data(), dy.cpu_data() + dy.count(), y.mutable_cpu_diff());
    out_of_place->backward({&y}, {true}, {&x});

    Blob z({3, 4, 5});
    std::copy(x.cpu_data(), x.cpu_data() + x.count(), z.mutable_cpu_data());
    auto in_place = create_layer(relu_param(slope));
    in_place->setup({&z}, {&z});
    in_place->forward({&z}, {&z});
    for (int i = 0; i < z.count(); ++i) ASSERT_EQ(z.cpu_data()[i], y.cpu_data()[i]);
    std::copy(dy.cpu_data(), dy.cpu_data() + dy.count(), z.mutable_cpu_diff());
    in_place->backward({&z}, {true}, {&z});
    for (int i = 0; i < z.count(); ++i) ASSERT_EQ(z.cpu_diff()[i], x.cpu_diff()[i]) << "slope " << slope;
  }
}

TEST(ReLULayer, NoGradientWhenNotAsked) {
  auto layer = create_layer(relu_param(0.f));
  Blob x({4}), y;
  test::fill_gaussian(&x, 1);
  x.set_diff(7.f);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  y.set_diff(1.f);
  layer->backward({&y}, {false}, {&x});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(x.cpu_diff()[i], 7.f);
}

TEST(ReLULayer, RejectsInPlaceWithNegativeSlope) {
  auto layer = create_layer(relu_param(-0.5f));
  Blob x({4});
  try {
    layer->setup({&x}, {&x});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("relu1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hwgq
