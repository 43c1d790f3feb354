#include "hwgq/layers/reshape_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter reshape_param(std::vector<int64_t> dims, int axis = 0, int num_axes = -1) {
  LayerParameter p;
  p.set_name("rs");
  p.set_type("Reshape");
  ReshapeParameter* r = p.mutable_reshape_param();
  r->mutable_shape();  // an empty shape is meaningful (insert nothing), so always present
  for (int64_t d : dims) r->mutable_shape()->add_dim(d);
  r->set_axis(axis);
  r->set_num_axes(num_axes);
  return p;
}

std::vector<int> reshaped(const std::vector<int>& bottom_shape, std::vector<int64_t> dims, int axis = 0,
                          int num_axes = -1) {
  auto layer = create_layer(reshape_param(dims, axis, num_axes));
  Blob x(bottom_shape), y;
  layer->setup({&x}, {&y});
  return y.shape();
}

using Shape = std::vector<int>;

TEST(ReshapeLayer, Shapes) {
  const Shape x = {2, 3, 4, 5};
  EXPECT_EQ(reshaped(x, {6, 20}), (Shape{6, 20}));
  EXPECT_EQ(reshaped(x, {0, -1}), (Shape{2, 60}));
  EXPECT_EQ(reshaped(x, {0, 0, -1}), (Shape{2, 3, 20}));
  EXPECT_EQ(reshaped(x, {-1, 0, 0, 5}), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(reshaped(x, {0, 0, 2, 2, -1}), (Shape{2, 3, 2, 2, 5}));
  EXPECT_EQ(reshaped(x, {-1}), (Shape{120}));
  // axis and num_axes pick the replaced range.
  EXPECT_EQ(reshaped(x, {2, 2}, 2, 1), (Shape{2, 3, 2, 2, 5}));
  EXPECT_EQ(reshaped(x, {-1}, 1, 2), (Shape{2, 12, 5}));
  EXPECT_EQ(reshaped(x, {0, -1}, 1, 2), (Shape{2, 3, 4, 5}));
  EXPECT_EQ(reshaped(x, {1}, 0, 0), (Shape{1, 2, 3, 4, 5}));
  EXPECT_EQ(reshaped(x, {1, 1}, -1, 0), (Shape{2, 3, 4, 5, 1, 1}));
  EXPECT_EQ(reshaped(x, {-1}, -3), (Shape{2, 3, 20}));
  EXPECT_EQ(reshaped(x, {}, 1, 0), x);
  EXPECT_EQ(reshaped({2, 1, 1, 3}, {}, 1, 2), (Shape{2, 3}));
}

TEST(ReshapeLayer, SharesDataAndGradient) {
  auto layer = create_layer(reshape_param({0, 2, -1}));
  Blob x({2, 6}), y;
  for (int i = 0; i < 12; ++i) x.mutable_cpu_data()[i] = float(i);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  EXPECT_EQ(y.cpu_data(), x.cpu_data());
  for (int i = 0; i < 12; ++i) y.mutable_cpu_diff()[i] = -float(i);
  layer->backward({&y}, {true}, {&x});
  for (int i = 0; i < 12; ++i) EXPECT_EQ(x.cpu_diff()[i], -float(i));

  // The inferred dimension follows the bottom, and a bottom that grows gets a new buffer.
  x.reshape({5, 6});
  for (int i = 0; i < 30; ++i) x.mutable_cpu_data()[i] = 2.f * i;
  layer->forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (Shape{5, 2, 3}));
  EXPECT_EQ(y.cpu_data()[29], 58.f);
}

TEST(ReshapeLayer, Gradient) {
  auto layer = create_layer(reshape_param({-1, 3}));
  Blob x({2, 3, 2}), y;
  test::fill_gaussian(&x, 5);
  layer->setup({&x}, {&y});
  EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count());
}

TEST(ReshapeLayer, Errors) {
  Blob x({2, 3, 4}), y;
  auto expect_error = [&](const LayerParameter& p, const std::string& needle) {
    try {
      create_layer(p)->setup({&x}, {&y});
      FAIL() << "expected an error containing " << needle;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("\"rs\""), std::string::npos) << what;
      EXPECT_NE(what.find(needle), std::string::npos) << what;
    }
  };
  expect_error(reshape_param({5, -1}), "2 x 3 x 4");       // 24 is no multiple of 5
  expect_error(reshape_param({5, 5}), "5 x 5");             // counts differ
  expect_error(reshape_param({-1, -1}), "more than one -1");
  expect_error(reshape_param({-2, 12}), "-2");
  expect_error(reshape_param({0, 0, 0, 0}), "no axis 3");  // nothing to copy
  expect_error(reshape_param({-1}, 4), "axis 4");
  expect_error(reshape_param({-1}, -5), "axis -5");
  expect_error(reshape_param({-1}, 2, 2), "num_axes 2");
  expect_error(reshape_param({-1}, 0, -2), "num_axes");
  EXPECT_THROW(create_layer(reshape_param({-1}))->setup({&x}, {&x}), Error);
}

}  // namespace
}  // namespace hwgq
