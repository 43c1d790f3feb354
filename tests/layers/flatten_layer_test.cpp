#include "hwgq/layers/flatten_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter flatten_param(int axis = 1, int end_axis = -1) {
  LayerParameter p;
  p.set_name("flat");
  p.set_type("Flatten");
  p.mutable_flatten_param()->set_axis(axis);
  p.mutable_flatten_param()->set_end_axis(end_axis);
  return p;
}

std::vector<int> flattened(int axis, int end_axis) {
  auto layer = create_layer(flatten_param(axis, end_axis));
  Blob x({2, 3, 4, 5}), y;
  layer->setup({&x}, {&y});
  return y.shape();
}

TEST(FlattenLayer, Shapes) {
  EXPECT_EQ(flattened(1, -1), (std::vector<int>{2, 60}));
  EXPECT_EQ(flattened(1, 2), (std::vector<int>{2, 12, 5}));
  EXPECT_EQ(flattened(0, -1), (std::vector<int>{120}));
  EXPECT_EQ(flattened(-2, -1), (std::vector<int>{2, 3, 20}));
  EXPECT_EQ(flattened(2, 2), (std::vector<int>{2, 3, 4, 5}));
}

TEST(FlattenLayer, SharesDataAndGradient) {
  auto layer = create_layer(flatten_param());
  Blob x({2, 3, 2}), y;
  for (int i = 0; i < 12; ++i) x.mutable_cpu_data()[i] = float(i);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  EXPECT_EQ(y.cpu_data(), x.cpu_data());
  for (int i = 0; i < 12; ++i) y.mutable_cpu_diff()[i] = 2.f * i;
  layer->backward({&y}, {true}, {&x});
  for (int i = 0; i < 12; ++i) EXPECT_EQ(x.cpu_diff()[i], 2.f * i);

  // A bottom that grows gets a new buffer; the next forward follows it.
  x.reshape({4, 3, 2});
  for (int i = 0; i < 24; ++i) x.mutable_cpu_data()[i] = -float(i);
  layer->forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{4, 6}));
  EXPECT_EQ(y.cpu_data()[23], -23.f);
}

TEST(FlattenLayer, Gradient) {
  auto layer = create_layer(flatten_param());
  Blob x({2, 3, 2, 2}), y;
  test::fill_gaussian(&x, 111);
  layer->setup({&x}, {&y});
  EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count());
}

TEST(FlattenLayer, Errors) {
  Blob x({2, 3, 4}), y;
  EXPECT_THROW(create_layer(flatten_param(3, -1))->setup({&x}, {&y}), Error);
  EXPECT_THROW(create_layer(flatten_param(1, 3))->setup({&x}, {&y}), Error);
  try {
    create_layer(flatten_param(2, 1))->setup({&x}, {&y});
    FAIL() << "expected an axis-order error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"flat\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(create_layer(flatten_param())->setup({&x}, {&x}), Error);
}

}  // namespace
}  // namespace hwgq
