#include "hwgq/layers/input_layer.hpp"

#include <gtest/gtest.h>

#include "hwgq/layer_registry.hpp"

namespace hwgq {
namespace {

LayerParameter input_param(const std::vector<std::vector<int64_t>>& shapes) {
  LayerParameter p;
  p.set_name("data");
  p.set_type("Input");
  for (const auto& shape : shapes) {
    BlobShape* s = p.mutable_input_param()->add_shape();
    for (int64_t d : shape) s->add_dim(d);
  }
  return p;
}

TEST(InputLayer, OneShapePerTop) {
  auto layer = create_layer(input_param({{2, 3, 4, 5}, {2}}));
  Blob data, label;
  layer->setup({}, {&data, &label});
  EXPECT_EQ(data.shape(), (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(label.shape(), (std::vector<int>{2}));
}

TEST(InputLayer, OneShapeForAllTops) {
  auto layer = create_layer(input_param({{4, 7}}));
  Blob a, b, c;
  layer->setup({}, {&a, &b, &c});
  for (Blob* blob : {&a, &b, &c}) EXPECT_EQ(blob->shape(), (std::vector<int>{4, 7}));
}

TEST(InputLayer, ForwardAndBackwardLeaveTheTopsAlone) {
  auto layer = create_layer(input_param({{3}}));
  Blob top;
  layer->setup({}, {&top});
  float* x = top.mutable_cpu_data();
  x[0] = 1.f, x[1] = -2.f, x[2] = 5.f;
  layer->forward({}, {&top});
  layer->backward({&top}, {}, {});
  EXPECT_EQ(top.shape(), (std::vector<int>{3}));
  EXPECT_EQ(top.cpu_data()[0], 1.f);
  EXPECT_EQ(top.cpu_data()[1], -2.f);
  EXPECT_EQ(top.cpu_data()[2], 5.f);
}

TEST(InputLayer, RejectsNonPositiveDimensions) {
  for (int64_t bad : {int64_t(0), int64_t(-3)}) {
    auto layer = create_layer(input_param({{2, bad, 4}}));
    Blob top;
    try {
      layer->setup({}, {&top});
      FAIL() << "expected an error for dimension " << bad;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("\"data\""), std::string::npos) << what;
      EXPECT_NE(what.find(std::to_string(bad)), std::string::npos) << what;
    }
  }
}

TEST(InputLayer, RejectsShapeCountMismatchAndBottoms) {
  Blob a, b, c;
  auto two_for_three = create_layer(input_param({{1}, {2}}));
  EXPECT_THROW(two_for_three->setup({}, {&a, &b, &c}), Error);
  auto none = create_layer(input_param({}));
  EXPECT_THROW(none->setup({}, {&a}), Error);
  auto with_bottom = create_layer(input_param({{1}}));
  EXPECT_THROW(with_bottom->setup({&a}, {&b}), Error);
}

}  // namespace
}  // namespace hwgq
