#include "hwgq/layers/eltwise_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter eltwise_param(EltwiseParameter::EltwiseOp op, std::vector<float> coeff = {}) {
  LayerParameter p;
  p.set_name("res2a");
  p.set_type("Eltwise");
  p.mutable_eltwise_param()->set_operation(op);
  for (float c : coeff) p.mutable_eltwise_param()->add_coeff(c);
  return p;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

struct Three {
  Blob a{{2, 2}}, b{{2, 2}}, c{{2, 2}}, y;
  Three() {
    set_values(&a, {1, -2, 3, 0.5f});
    set_values(&b, {4, 5, -1, 0.5f});
    set_values(&c, {-3, 5, 2, 2});
  }
  BlobVec bottom() { return {&a, &b, &c}; }
};

TEST(EltwiseLayer, ForwardByHand) {
  {
    Three t;
    auto layer = create_layer(eltwise_param(EltwiseParameter::SUM));
    layer->setup(t.bottom(), {&t.y});
    layer->forward(t.bottom(), {&t.y});
    const float expected[] = {2, 8, 4, 3};
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(t.y.cpu_data()[i], expected[i]) << i;
  }
  {
    Three t;
    auto layer = create_layer(eltwise_param(EltwiseParameter::SUM, {1.f, -1.f, 0.5f}));
    layer->setup(t.bottom(), {&t.y});
    layer->forward(t.bottom(), {&t.y});
    const float expected[] = {-4.5f, -4.5f, 5, 1};
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(t.y.cpu_data()[i], expected[i]) << i;
  }
  {
    Three t;
    auto layer = create_layer(eltwise_param(EltwiseParameter::PROD));
    layer->setup(t.bottom(), {&t.y});
    layer->forward(t.bottom(), {&t.y});
    const float expected[] = {-12, -50, -6, 0.5f};
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(t.y.cpu_data()[i], expected[i]) << i;
  }
  {
    Three t;
    auto layer = create_layer(eltwise_param(EltwiseParameter::MAX));
    layer->setup(t.bottom(), {&t.y});
    layer->forward(t.bottom(), {&t.y});
    const float expected[] = {4, 5, 3, 2};
    for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(t.y.cpu_data()[i], expected[i]) << i;
  }
}

TEST(EltwiseLayer, MaxGradientGoesToTheFirstMaximum) {
  Three t;
  auto layer = create_layer(eltwise_param(EltwiseParameter::MAX));
  layer->setup(t.bottom(), {&t.y});
  layer->forward(t.bottom(), {&t.y});
  set_values(&t.y, {0, 0, 0, 0});  // backward must not read the top's values
  for (int i = 0; i < 4; ++i) t.y.mutable_cpu_diff()[i] = float(i + 1);
  layer->backward({&t.y}, {true, true, true}, t.bottom());
  // Element 1 ties between b and c (5): b, the earlier bottom, takes it.
  const float da[] = {0, 0, 3, 0}, db[] = {1, 2, 0, 0}, dc[] = {0, 0, 0, 4};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(t.a.cpu_diff()[i], da[i]) << i;
    EXPECT_EQ(t.b.cpu_diff()[i], db[i]) << i;
    EXPECT_EQ(t.c.cpu_diff()[i], dc[i]) << i;
  }
}

TEST(EltwiseLayer, ProdGradientAtZero) {
  // With a zero input the stable gradient stays finite; y / x would divide by zero.
  Blob a({2}), b({2}), y;
  set_values(&a, {0.f, 2.f});
  set_values(&b, {3.f, 4.f});
  auto layer = create_layer(eltwise_param(EltwiseParameter::PROD));
  layer->setup({&a, &b}, {&y});
  layer->forward({&a, &b}, {&y});
  y.set_diff(1.f);
  layer->backward({&y}, {true, true}, {&a, &b});
  EXPECT_EQ(a.cpu_diff()[0], 3.f);
  EXPECT_EQ(a.cpu_diff()[1], 4.f);
  EXPECT_EQ(b.cpu_diff()[0], 0.f);
  EXPECT_EQ(b.cpu_diff()[1], 2.f);
}

TEST(EltwiseLayer, Gradient) {
  struct Case {
    EltwiseParameter::EltwiseOp op;
    std::vector<float> coeff;
    bool stable;
  };
  const Case cases[] = {{EltwiseParameter::SUM, {}, true},
                        {EltwiseParameter::SUM, {0.5f, -2.f, 3.f}, true},
                        {EltwiseParameter::PROD, {}, true},
                        {EltwiseParameter::PROD, {}, false},
                        {EltwiseParameter::MAX, {}, true}};
  for (const Case& c : cases) {
    LayerParameter p = eltwise_param(c.op, c.coeff);
    p.mutable_eltwise_param()->set_stable_prod_grad(c.stable);
    auto layer = create_layer(p);
    Blob a({2, 3, 2}), b({2, 3, 2}), d({2, 3, 2}), y;
    test::fill_gaussian(&a, 11);
    test::fill_gaussian(&b, 12);
    test::fill_gaussian(&d, 13);
    if (c.op == EltwiseParameter::PROD) {
      // Away from zero, where y / x is exact enough for the unstable form.
      for (Blob* blob : {&a, &b, &d})
        for (int i = 0; i < blob->count(); ++i) {
          float& v = blob->mutable_cpu_data()[i];
          v = v < 0.f ? v - 0.5f : v + 0.5f;
        }
    }
    if (c.op == EltwiseParameter::MAX) {
      // Distinct values 0.1 apart, so no finite-difference step changes which bottom wins.
      std::vector<float> values(36);
      for (int i = 0; i < 36; ++i) values[i] = 0.1f * float((i * 11) % 36) - 1.8f;
      std::copy(values.begin(), values.begin() + 12, a.mutable_cpu_data());
      std::copy(values.begin() + 12, values.begin() + 24, b.mutable_cpu_data());
      std::copy(values.begin() + 24, values.end(), d.mutable_cpu_data());
    }
    layer->setup({&a, &b, &d}, {&y});
    EXPECT_EQ(test::check_gradients(*layer, {&a, &b, &d}, {&y}), 36)
        << EltwiseParameter::EltwiseOp_Name(c.op) << " stable " << c.stable;
  }
}

TEST(EltwiseLayer, ShapeMismatchNamesLayerBlobsAndShapes) {
  LayerParameter p = eltwise_param(EltwiseParameter::SUM);
  p.add_bottom("res2a_branch1");
  p.add_bottom("res2a_branch2c");
  auto layer = create_layer(p);
  Blob a({2, 4, 3, 3}), b({2, 4, 3, 2}), y;
  try {
    layer->setup({&a, &b}, {&y});
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"res2a\""), std::string::npos) << what;
    EXPECT_NE(what.find("res2a_branch1"), std::string::npos) << what;
    EXPECT_NE(what.find("res2a_branch2c"), std::string::npos) << what;
    EXPECT_NE(what.find("2 x 4 x 3 x 3"), std::string::npos) << what;
    EXPECT_NE(what.find("2 x 4 x 3 x 2"), std::string::npos) << what;
  }
  // Later reshapes are checked too.
  Blob c({2, 4, 3, 3});
  auto ok = create_layer(eltwise_param(EltwiseParameter::MAX));
  ok->setup({&a, &c}, {&y});
  c.reshape({1, 4, 3, 3});
  EXPECT_THROW(ok->forward({&a, &c}, {&y}), Error);
}

TEST(EltwiseLayer, ParameterErrors) {
  Blob a({3}), b({3}), y;
  EXPECT_THROW(create_layer(eltwise_param(EltwiseParameter::SUM, {1.f}))->setup({&a, &b}, {&y}), Error);
  EXPECT_THROW(create_layer(eltwise_param(EltwiseParameter::PROD, {1.f, 1.f}))->setup({&a, &b}, {&y}), Error);
  EXPECT_THROW(create_layer(eltwise_param(EltwiseParameter::SUM))->setup({&a}, {&y}), Error);
  EXPECT_THROW(create_layer(eltwise_param(EltwiseParameter::SUM))->setup({&a, &b}, {&a}), Error);
}

}  // namespace
}  // namespace hwgq
