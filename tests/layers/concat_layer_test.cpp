#include "hwgq/layers/concat_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter concat_param() {
  LayerParameter p;
  p.set_name("cat");
  p.set_type("Concat");
  return p;
}

LayerParameter concat_param_axis(int axis) {
  LayerParameter p = concat_param();
  p.mutable_concat_param()->set_axis(axis);
  return p;
}

void fill_offset_iota(Blob* blob, float start) {
  for (int i = 0; i < blob->count(); ++i) blob->mutable_cpu_data()[i] = start + float(i);
}

TEST(ConcatLayer, ForwardAlongChannelsByHand) {
  auto layer = create_layer(concat_param());  // default axis 1
  Blob a({2, 1, 2}), b({2, 2, 2}), y;
  fill_offset_iota(&a, 0.f);    // a[n][0][w] = 2n + w
  fill_offset_iota(&b, 100.f);  // b[n][c][w] = 100 + 4n + 2c + w
  layer->setup({&a, &b}, {&y});
  ASSERT_EQ(y.shape(), (std::vector<int>{2, 3, 2}));
  layer->forward({&a, &b}, {&y});
  const float expected[] = {0, 1, 100, 101, 102, 103, 2, 3, 104, 105, 106, 107};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(y.cpu_data()[i], expected[i]) << i;
}

TEST(ConcatLayer, ForwardOtherAxes) {
  Blob a({2, 2}), b({2, 2}), c({2, 2}), y;
  fill_offset_iota(&a, 0.f);
  fill_offset_iota(&b, 10.f);
  fill_offset_iota(&c, 20.f);
  {
    auto layer = create_layer(concat_param_axis(0));
    layer->setup({&a, &b, &c}, {&y});
    EXPECT_EQ(y.shape(), (std::vector<int>{6, 2}));
    layer->forward({&a, &b, &c}, {&y});
    const float expected[] = {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23};
    for (int i = 0; i < 12; ++i) EXPECT_EQ(y.cpu_data()[i], expected[i]) << i;
  }
  {
    auto layer = create_layer(concat_param_axis(-1));
    layer->setup({&a, &b, &c}, {&y});
    EXPECT_EQ(y.shape(), (std::vector<int>{2, 6}));
    layer->forward({&a, &b, &c}, {&y});
    const float expected[] = {0, 1, 10, 11, 20, 21, 2, 3, 12, 13, 22, 23};
    for (int i = 0; i < 12; ++i) EXPECT_EQ(y.cpu_data()[i], expected[i]) << i;
  }
  {  // the legacy concat_dim field
    LayerParameter p = concat_param();
    p.mutable_concat_param()->set_concat_dim(0);
    auto layer = create_layer(p);
    layer->setup({&a, &b}, {&y});
    EXPECT_EQ(y.shape(), (std::vector<int>{4, 2}));
  }
  {  // one bottom is a copy
    auto layer = create_layer(concat_param());
    layer->setup({&a}, {&y});
    layer->forward({&a}, {&y});
    EXPECT_EQ(y.shape(), a.shape());
    for (int i = 0; i < 4; ++i) EXPECT_EQ(y.cpu_data()[i], a.cpu_data()[i]);
  }
}

TEST(ConcatLayer, BackwardSplitsGradientAndSkipsUnwanted) {
  auto layer = create_layer(concat_param());
  Blob a({2, 1, 2}), b({2, 2, 2}), y;
  layer->setup({&a, &b}, {&y});
  layer->forward({&a, &b}, {&y});
  fill_offset_iota(&y, 0.f);
  std::copy(y.cpu_data(), y.cpu_data() + y.count(), y.mutable_cpu_diff());
  a.set_diff(-1.f);
  b.set_diff(-1.f);
  layer->backward({&y}, {false, true}, {&a, &b});
  for (int i = 0; i < a.count(); ++i) EXPECT_EQ(a.cpu_diff()[i], -1.f);
  const float expected_b[] = {2, 3, 4, 5, 8, 9, 10, 11};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(b.cpu_diff()[i], expected_b[i]) << i;
}

TEST(ConcatLayer, Gradient) {
  for (int axis : {0, 1, 2}) {
    auto layer = create_layer(concat_param_axis(axis));
    std::vector<int> s1 = {2, 3, 2}, s2 = {2, 3, 2};
    s2[axis] = 1;
    Blob a(s1), b(s2), c(s1), y;
    test::fill_gaussian(&a, 7 + axis);
    test::fill_gaussian(&b, 17 + axis);
    test::fill_gaussian(&c, 27 + axis);
    layer->setup({&a, &b, &c}, {&y});
    EXPECT_EQ(test::check_gradients(*layer, {&a, &b, &c}, {&y}), a.count() + b.count() + c.count());
  }
}

TEST(ConcatLayer, ShapeMismatchNamesLayerBlobsAndShapes) {
  LayerParameter p = concat_param();
  p.add_bottom("branch_a");
  p.add_bottom("branch_b");
  auto layer = create_layer(p);
  Blob a({2, 3, 4}), b({2, 5, 3}), y;
  try {
    layer->setup({&a, &b}, {&y});
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"cat\""), std::string::npos) << what;
    EXPECT_NE(what.find("branch_a"), std::string::npos) << what;
    EXPECT_NE(what.find("branch_b"), std::string::npos) << what;
    EXPECT_NE(what.find("2 x 3 x 4"), std::string::npos) << what;
    EXPECT_NE(what.find("2 x 5 x 3"), std::string::npos) << what;
  }
  Blob c({2, 3}), d({2, 3, 4, 1});
  EXPECT_THROW(create_layer(concat_param())->setup({&a, &c}, {&y}), Error);
  EXPECT_THROW(create_layer(concat_param())->setup({&a, &d}, {&y}), Error);
}

TEST(ConcatLayer, ParameterErrors) {
  Blob a({2, 3}), b({2, 3}), y;
  EXPECT_THROW(create_layer(concat_param_axis(2))->setup({&a, &b}, {&y}), Error);
  EXPECT_THROW(create_layer(concat_param_axis(-3))->setup({&a, &b}, {&y}), Error);
  LayerParameter both = concat_param_axis(0);
  both.mutable_concat_param()->set_concat_dim(1);
  EXPECT_THROW(create_layer(both)->setup({&a, &b}, {&y}), Error);
  EXPECT_THROW(create_layer(concat_param())->setup({&a, &b}, {&a}), Error);
  EXPECT_THROW(create_layer(concat_param())->setup({}, {&y}), Error);
}

}  // namespace
}  // namespace hwgq
