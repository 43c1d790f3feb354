#include "hwgq/layers/scale_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter scale_param(bool bias_term, int axis = 1, int num_axes = 1) {
  LayerParameter p;
  p.set_name("scale1");
  p.set_type("Scale");
  p.mutable_scale_param()->set_bias_term(bias_term);
  p.mutable_scale_param()->set_axis(axis);
  p.mutable_scale_param()->set_num_axes(num_axes);
  return p;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

void fill_iota(Blob* blob) {
  for (int i = 0; i < blob->count(); ++i) blob->mutable_cpu_data()[i] = float(i);
}

TEST(ScaleLayer, DefaultFillersAreIdentity) {
  auto layer = create_layer(scale_param(true));
  Blob x({2, 3, 2}), y;
  layer->setup({&x}, {&y});
  ASSERT_EQ(layer->blobs().size(), 2u);
  EXPECT_EQ(layer->blobs()[0]->shape(), (std::vector<int>{3}));
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(layer->blobs()[0]->cpu_data()[c], 1.f);
    EXPECT_EQ(layer->blobs()[1]->cpu_data()[c], 0.f);
  }
}

TEST(ScaleLayer, ForwardPerChannelWithBias) {
  auto layer = create_layer(scale_param(true));
  Blob x({2, 3, 2}), y;
  fill_iota(&x);
  layer->setup({&x}, {&y});
  set_values(layer->blobs()[0].get(), {1.f, -2.f, 0.5f});
  set_values(layer->blobs()[1].get(), {0.1f, 0.2f, 0.3f});
  layer->forward({&x}, {&y});
  const float s[] = {1.f, -2.f, 0.5f}, b[] = {0.1f, 0.2f, 0.3f};
  for (int i = 0; i < 12; ++i) {
    const int c = (i / 2) % 3;
    EXPECT_FLOAT_EQ(y.cpu_data()[i], i * s[c] + b[c]) << i;
  }
}

TEST(ScaleLayer, ForwardOtherAxes) {
  Blob x({2, 3, 2}), y;
  fill_iota(&x);
  {  // a scalar
    auto layer = create_layer(scale_param(false, 1, 0));
    layer->setup({&x}, {&y});
    EXPECT_EQ(layer->blobs()[0]->count(), 1);
    set_values(layer->blobs()[0].get(), {3.f});
    layer->forward({&x}, {&y});
    for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(y.cpu_data()[i], 3.f * i);
  }
  {  // every axis from 1 on: one factor per (c, w)
    auto layer = create_layer(scale_param(false, 1, -1));
    layer->setup({&x}, {&y});
    EXPECT_EQ(layer->blobs()[0]->shape(), (std::vector<int>{3, 2}));
    fill_iota(layer->blobs()[0].get());
    layer->forward({&x}, {&y});
    for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(y.cpu_data()[i], float(i) * (i % 6));
  }
  {  // axis 0: one factor per sample
    auto layer = create_layer(scale_param(false, 0, 1));
    layer->setup({&x}, {&y});
    set_values(layer->blobs()[0].get(), {2.f, -1.f});
    layer->forward({&x}, {&y});
    for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(y.cpu_data()[i], float(i) * (i < 6 ? 2.f : -1.f));
  }
}

TEST(ScaleLayer, GradientOneBottom) {
  for (bool bias : {false, true}) {
    LayerParameter p = scale_param(bias, -2, 1);
    p.mutable_scale_param()->mutable_filler()->set_type("gaussian");
    p.mutable_scale_param()->mutable_bias_filler()->set_type("gaussian");
    auto layer = create_layer(p);
    Blob x({2, 3, 4}), y;
    test::fill_gaussian(&x, 31);
    layer->setup({&x}, {&y});
    EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), 24 + 3 + (bias ? 3 : 0));
  }
}

TEST(ScaleLayer, TwoBottomsForwardAndGradient) {
  auto layer = create_layer(scale_param(true));
  Blob x({2, 3, 2}), s({3, 2}), y;
  fill_iota(&x);
  set_values(&s, {1, 2, 3, 4, 5, 6});
  layer->setup({&x, &s}, {&y});
  ASSERT_EQ(layer->blobs().size(), 1u);  // only the bias is learned
  EXPECT_EQ(layer->blobs()[0]->shape(), s.shape());
  layer->forward({&x, &s}, {&y});
  for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(y.cpu_data()[i], float(i) * (i % 6 + 1));

  test::fill_gaussian(&x, 41);
  test::fill_gaussian(&s, 42);
  test::fill_gaussian(layer->blobs()[0].get(), 43);
  EXPECT_EQ(test::check_gradients(*layer, {&x, &s}, {&y}), 12 + 6 + 6);
}

TEST(ScaleLayer, TwoBottomsScalar) {
  auto layer = create_layer(scale_param(false));
  Blob x({2, 3}), s(std::vector<int>{}), y;
  test::fill_gaussian(&x, 51);
  set_values(&s, {-1.5f});
  layer->setup({&x, &s}, {&y});
  layer->forward({&x, &s}, {&y});
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y.cpu_data()[i], -1.5f * x.cpu_data()[i]);
  EXPECT_EQ(test::check_gradients(*layer, {&x, &s}, {&y}), 7);
}

TEST(ScaleLayer, ParameterGradientsAccumulate) {
  auto layer = create_layer(scale_param(true));
  Blob x({2, 3}), y;
  test::fill_gaussian(&x, 61);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  y.set_diff(1.f);
  for (auto& blob : layer->blobs()) blob->set_diff(0.f);
  layer->backward({&y}, {true}, {&x});
  const std::vector<float> once(layer->blobs()[0]->cpu_diff(), layer->blobs()[0]->cpu_diff() + 3);
  layer->backward({&y}, {true}, {&x});
  for (int c = 0; c < 3; ++c) {
    EXPECT_FLOAT_EQ(once[c], x.cpu_data()[c] + x.cpu_data()[3 + c]);
    EXPECT_FLOAT_EQ(layer->blobs()[0]->cpu_diff()[c], 2 * once[c]);
    EXPECT_FLOAT_EQ(layer->blobs()[1]->cpu_diff()[c], 4.f);
  }
}

TEST(ScaleLayer, InPlaceMatchesOutOfPlace) {
  const std::vector<int> shape = {3, 4, 5};
  Blob x(shape), dy(shape), y;
  test::fill_gaussian(&x, 71);
  test::fill_gaussian(&dy, 72);
  LayerParameter p = scale_param(true);
  p.mutable_scale_param()->mutable_filler()->set_type("gaussian");
  p.mutable_scale_param()->mutable_bias_filler()->set_type("gaussian");
  Context::get().set_random_seed(73);
  auto a = create_layer(p);
  a->setup({&x}, {&y});
  Context::get().set_random_seed(73);
  auto b = create_layer(p);
  Blob z(shape);
  std::copy(x.cpu_data(), x.cpu_data() + x.count(), z.mutable_cpu_data());
  b->setup({&z}, {&z});

  a->forward({&x}, {&y});
  b->forward({&z}, {&z});
  for (int i = 0; i < y.count(); ++i) ASSERT_FLOAT_EQ(z.cpu_data()[i], y.cpu_data()[i]);
  std::copy(dy.cpu_data(), dy.cpu_data() + dy.count(), y.mutable_cpu_diff());
  std::copy(dy.cpu_data(), dy.cpu_data() + dy.count(), z.mutable_cpu_diff());
  for (auto* layer : {a.get(), b.get()})
    for (auto& blob : layer->blobs()) blob->set_diff(0.f);
  a->backward({&y}, {true}, {&x});
  b->backward({&z}, {true}, {&z});
  for (int i = 0; i < x.count(); ++i) ASSERT_FLOAT_EQ(z.cpu_diff()[i], x.cpu_diff()[i]);
  for (int k = 0; k < 2; ++k)
    for (int c = 0; c < 4; ++c) EXPECT_FLOAT_EQ(b->blobs()[k]->cpu_diff()[c], a->blobs()[k]->cpu_diff()[c]);
}

TEST(ScaleLayer, RejectsBadAxesAndShapes) {
  Blob x({2, 3, 4}), y;
  EXPECT_THROW(create_layer(scale_param(false, 3, 1))->setup({&x}, {&y}), Error);
  EXPECT_THROW(create_layer(scale_param(false, 2, 2))->setup({&x}, {&y}), Error);
  EXPECT_THROW(create_layer(scale_param(false, 1, -2))->setup({&x}, {&y}), Error);

  Blob s({4});
  try {
    create_layer(scale_param(false))->setup({&x, &s}, {&y});
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("scale1"), std::string::npos) << what;
    EXPECT_NE(what.find("2 x 3 x 4"), std::string::npos) << what;
    EXPECT_NE(what.find("4 (4)"), std::string::npos) << what;
  }

  Blob s2({3, 4});
  EXPECT_THROW(create_layer(scale_param(false, 4))->setup({&x, &s2}, {&y}), Error);

  LayerParameter stored = scale_param(false);
  BlobProto* blob = stored.add_blobs();
  blob->mutable_shape()->add_dim(5);
  for (int i = 0; i < 5; ++i) blob->add_data(1.f);
  EXPECT_THROW(create_layer(stored)->setup({&x}, {&y}), Error);
  LayerParameter missing_bias = scale_param(true);
  BlobProto* only_scale = missing_bias.add_blobs();
  only_scale->mutable_shape()->add_dim(3);
  for (int i = 0; i < 3; ++i) only_scale->add_data(1.f);
  EXPECT_THROW(create_layer(missing_bias)->setup({&x}, {&y}), Error);

  // The scale's shape is fixed at setup: the bottom's covered axes may not change.
  auto layer = create_layer(scale_param(false));
  layer->setup({&x}, {&y});
  x.reshape({2, 5, 4});
  EXPECT_THROW(layer->forward({&x}, {&y}), Error);
}

}  // namespace
}  // namespace hwgq
