#include "hwgq/layers/slice_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter slice_param(int axis, std::vector<int> points = {}) {
  LayerParameter p;
  p.set_name("slicer");
  p.set_type("Slice");
  p.mutable_slice_param()->set_axis(axis);
  for (int point : points) p.mutable_slice_param()->add_slice_point(point);
  return p;
}

void fill_iota(Blob* blob) {
  for (int i = 0; i < blob->count(); ++i) blob->mutable_cpu_data()[i] = float(i);
}

TEST(SliceLayer, ForwardAtSlicePointsByHand) {
  auto layer = create_layer(slice_param(1, {1, 3}));
  Blob x({2, 4, 2}), a, b, c;
  fill_iota(&x);
  layer->setup({&x}, {&a, &b, &c});
  EXPECT_EQ(a.shape(), (std::vector<int>{2, 1, 2}));
  EXPECT_EQ(b.shape(), (std::vector<int>{2, 2, 2}));
  EXPECT_EQ(c.shape(), (std::vector<int>{2, 1, 2}));
  layer->forward({&x}, {&a, &b, &c});
  const float ea[] = {0, 1, 8, 9}, eb[] = {2, 3, 4, 5, 10, 11, 12, 13}, ec[] = {6, 7, 14, 15};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(a.cpu_data()[i], ea[i]) << i;
  for (int i = 0; i < 8; ++i) EXPECT_EQ(b.cpu_data()[i], eb[i]) << i;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.cpu_data()[i], ec[i]) << i;
}

TEST(SliceLayer, EvenSplitAndLegacySliceDim) {
  Blob x({4, 3}), a, b;
  fill_iota(&x);
  {
    auto layer = create_layer(slice_param(0));
    layer->setup({&x}, {&a, &b});
    EXPECT_EQ(a.shape(), (std::vector<int>{2, 3}));
    layer->forward({&x}, {&a, &b});
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(a.cpu_data()[i], float(i));
      EXPECT_EQ(b.cpu_data()[i], float(6 + i));
    }
  }
  {
    LayerParameter p;
    p.set_name("slicer");
    p.set_type("Slice");
    p.mutable_slice_param()->set_slice_dim(1);
    p.mutable_slice_param()->add_slice_point(2);
    auto layer = create_layer(p);
    layer->setup({&x}, {&a, &b});
    EXPECT_EQ(a.shape(), (std::vector<int>{4, 2}));
    EXPECT_EQ(b.shape(), (std::vector<int>{4, 1}));
    layer->forward({&x}, {&a, &b});
    EXPECT_EQ(a.cpu_data()[3], 4.f);
    EXPECT_EQ(b.cpu_data()[3], 11.f);
  }
  {  // negative axis, one top
    auto layer = create_layer(slice_param(-1));
    layer->setup({&x}, {&a});
    layer->forward({&x}, {&a});
    EXPECT_EQ(a.shape(), x.shape());
    EXPECT_EQ(a.cpu_data()[11], 11.f);
  }
}

TEST(SliceLayer, BackwardAssemblesGradient) {
  auto layer = create_layer(slice_param(1, {1}));
  Blob x({2, 3}), a, b;
  layer->setup({&x}, {&a, &b});
  layer->forward({&x}, {&a, &b});
  a.mutable_cpu_diff()[0] = 1.f;
  a.mutable_cpu_diff()[1] = 2.f;
  for (int i = 0; i < 4; ++i) b.mutable_cpu_diff()[i] = 10.f + i;
  layer->backward({&a, &b}, {true}, {&x});
  const float expected[] = {1, 10, 11, 2, 12, 13};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(x.cpu_diff()[i], expected[i]) << i;
}

TEST(SliceLayer, Gradient) {
  for (int axis : {0, 1, 2}) {
    auto layer = create_layer(slice_param(axis, {1}));
    Blob x({2, 3, 4}), a, b;
    test::fill_gaussian(&x, 17 + axis);
    layer->setup({&x}, {&a, &b});
    EXPECT_EQ(test::check_gradients(*layer, {&x}, {&a, &b}), x.count());
  }
}

TEST(SliceLayer, Errors) {
  Blob x({2, 5}), a, b, c;
  try {
    create_layer(slice_param(1))->setup({&x}, {&a, &b});
    FAIL() << "expected an uneven-split error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"slicer\""), std::string::npos) << what;
    EXPECT_NE(what.find("2 x 5"), std::string::npos) << what;
    EXPECT_NE(what.find("evenly"), std::string::npos) << what;
  }
  EXPECT_THROW(create_layer(slice_param(1, {2}))->setup({&x}, {&a, &b, &c}), Error);     // too few points
  EXPECT_THROW(create_layer(slice_param(1, {3, 2}))->setup({&x}, {&a, &b, &c}), Error);  // not increasing
  EXPECT_THROW(create_layer(slice_param(1, {2, 2}))->setup({&x}, {&a, &b, &c}), Error);  // empty piece
  EXPECT_THROW(create_layer(slice_param(1, {0}))->setup({&x}, {&a, &b}), Error);
  EXPECT_THROW(create_layer(slice_param(1, {5}))->setup({&x}, {&a, &b}), Error);
  EXPECT_THROW(create_layer(slice_param(2, {1}))->setup({&x}, {&a, &b}), Error);
  LayerParameter both = slice_param(1, {1});
  both.mutable_slice_param()->set_slice_dim(1);
  EXPECT_THROW(create_layer(both)->setup({&x}, {&a, &b}), Error);
  EXPECT_THROW(create_layer(slice_param(1, {1}))->setup({&x}, {&a, &x}), Error);
}

}  // namespace
}  // namespace hwgq
