#include "hwgq/layers/split_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter split_param() {
  LayerParameter p;
  p.set_name("conv1_conv1_0_split");
  p.set_type("Split");
  return p;
}

TEST(SplitLayer, TopsShareBottomData) {
  auto layer = create_layer(split_param());
  Blob x({2, 3}), a, b;
  for (int i = 0; i < 6; ++i) x.mutable_cpu_data()[i] = float(i);
  layer->setup({&x}, {&a, &b});
  layer->forward({&x}, {&a, &b});
  EXPECT_EQ(a.shape(), x.shape());
  EXPECT_EQ(b.shape(), x.shape());
  EXPECT_EQ(a.cpu_data(), x.cpu_data());
  EXPECT_EQ(b.cpu_data()[5], 5.f);
}

TEST(SplitLayer, BackwardSumsTopGradients) {
  auto layer = create_layer(split_param());
  Blob x({4}), a, b, c;
  layer->setup({&x}, {&a, &b, &c});
  layer->forward({&x}, {&a, &b, &c});
  for (int i = 0; i < 4; ++i) {
    a.mutable_cpu_diff()[i] = 1.f * i;
    b.mutable_cpu_diff()[i] = 10.f;
    c.mutable_cpu_diff()[i] = -100.f * i;
  }
  x.set_diff(5.f);  // overwritten, not accumulated
  layer->backward({&a, &b, &c}, {true}, {&x});
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(x.cpu_diff()[i], i + 10.f - 100.f * i);
}

TEST(SplitLayer, Gradient) {
  auto layer = create_layer(split_param());
  Blob x({2, 3, 2}), a, b;
  test::fill_gaussian(&x, 121);
  layer->setup({&x}, {&a, &b});
  EXPECT_EQ(test::check_gradients(*layer, {&x}, {&a, &b}), x.count());
}

TEST(SplitLayer, Errors) {
  Blob x({3}), a;
  EXPECT_THROW(create_layer(split_param())->setup({&x}, {&a, &x}), Error);
  EXPECT_THROW(create_layer(split_param())->setup({&x}, {}), Error);
}

}  // namespace
}  // namespace hwgq
