#include "hwgq/layers/inner_product_layer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter ip_param(const std::string& ip_text) {
  LayerParameter param;
  parse_text_proto("name: \"fc\" type: \"InnerProduct\" inner_product_param { " + ip_text + " }", "test", &param);
  return param;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

void expect_values(const Blob& blob, const std::vector<float>& values) {
  ASSERT_EQ(blob.count(), (int)values.size());
  for (int i = 0; i < blob.count(); ++i) EXPECT_NEAR(blob.cpu_data()[i], values[i], 1e-5f) << "element " << i;
}

TEST(InnerProductLayer, HandComputed) {
  Blob x({2, 3}), y;
  set_values(&x, {1, 2, 3, -1, 0, 1});
  InnerProductLayer layer(ip_param("num_output: 2"));
  layer.setup({&x}, {&y});
  EXPECT_EQ(layer.blobs()[0]->shape(), (std::vector<int>{2, 3}));
  set_values(layer.blobs()[0].get(), {1, 0, -1, 0.5f, 0.5f, 0.5f});
  set_values(layer.blobs()[1].get(), {10, 20});
  layer.forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{2, 2}));
  expect_values(y, {1 - 3 + 10, 3 + 20, -1 - 1 + 10, 0 + 20});
}

TEST(InnerProductLayer, HandComputedTransposed) {
  Blob x({2, 3}), y;
  set_values(&x, {1, 2, 3, -1, 0, 1});
  InnerProductLayer layer(ip_param("num_output: 2 transpose: true bias_term: false"));
  layer.setup({&x}, {&y});
  EXPECT_EQ(layer.blobs()[0]->shape(), (std::vector<int>{3, 2}));
  // The same weights as above, stored K x N.
  set_values(layer.blobs()[0].get(), {1, 0.5f, 0, 0.5f, -1, 0.5f});
  layer.forward({&x}, {&y});
  expect_values(y, {1 - 3, 3, -1 - 1, 0});
}

TEST(InnerProductLayer, AxisKeepsLeadingAxes) {
  Blob x({2, 3, 2, 2}), y;
  test::fill_uniform(&x, 1);
  InnerProductLayer layer(ip_param("num_output: 5 axis: 2 weight_filler { type: \"gaussian\" }"));
  layer.setup({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{2, 3, 5}));
  EXPECT_EQ(layer.blobs()[0]->shape(), (std::vector<int>{5, 4}));
  layer.forward({&x}, {&y});
  // Row (1, 2) of the input, output 4.
  const float* w = layer.blobs()[0]->cpu_data();
  double expected = layer.blobs()[1]->cpu_data()[4];
  for (int k = 0; k < 4; ++k) expected += double(x.cpu_data()[(1 * 3 + 2) * 4 + k]) * w[4 * 4 + k];
  EXPECT_NEAR(y.cpu_data()[(1 * 3 + 2) * 5 + 4], expected, 1e-5);
}

TEST(InnerProductLayer, Gradients) {
  for (const char* text :
       {"num_output: 7 weight_filler { type: \"gaussian\" } bias_filler { type: \"uniform\" min: -1 max: 1 }",
        "num_output: 7 transpose: true weight_filler { type: \"gaussian\" } bias_filler { type: \"uniform\" }",
        "num_output: 3 bias_term: false axis: -1 weight_filler { type: \"xavier\" }"}) {
    SCOPED_TRACE(text);
    Blob x({3, 13, 1, 2}), y;
    test::fill_uniform(&x, 4);
    InnerProductLayer layer(ip_param(text));
    layer.setup({&x}, {&y});
    EXPECT_GT(test::check_gradients(layer, {&x}, {&y}), 0);
  }
}

TEST(InnerProductLayer, ParameterGradientsAccumulate) {
  Blob x({3, 4}), y;
  test::fill_uniform(&x, 2);
  InnerProductLayer layer(ip_param("num_output: 2 weight_filler { type: \"gaussian\" }"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  y.set_diff(1.f);
  for (auto& b : layer.blobs()) b->set_diff(0.f);
  layer.backward({&y}, {true}, {&x});
  const double once = layer.blobs()[0]->asum_diff();
  layer.backward({&y}, {true}, {&x});
  EXPECT_NEAR(layer.blobs()[0]->asum_diff(), 2 * once, 1e-4);
  EXPECT_NEAR(layer.blobs()[1]->cpu_diff()[0], 6.f, 1e-6f);
}

void expect_setup_error(const LayerParameter& param, const std::vector<int>& shape,
                        const std::vector<std::string>& fragments) {
  Blob x(shape), y;
  try {
    InnerProductLayer layer(param);
    layer.setup({&x}, {&y});
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\"fc\""), std::string::npos) << message;
    for (const auto& f : fragments) EXPECT_NE(message.find(f), std::string::npos) << message;
  }
}

TEST(InnerProductLayer, RejectsBadParameters) {
  expect_setup_error(ip_param(""), {2, 3}, {"num_output"});
  expect_setup_error(ip_param("num_output: 0"), {2, 3}, {"num_output"});
  expect_setup_error(ip_param("num_output: 2 axis: 3"), {2, 3}, {"axis 3"});
}

TEST(InnerProductLayer, ChecksLoadedWeights) {
  // Legacy caffemodel form: N x K weights stored as 1 x 1 x N x K.
  LayerParameter legacy = ip_param("num_output: 2 bias_term: false");
  BlobProto* w = legacy.add_blobs();
  w->set_num(1);
  w->set_channels(1);
  w->set_height(2);
  w->set_width(3);
  for (int i = 0; i < 6; ++i) w->add_data(static_cast<float>(i));
  {
    InnerProductLayer layer(legacy);
    Blob x({1, 3}), y;
    layer.setup({&x}, {&y});
    EXPECT_EQ(layer.blobs()[0]->shape(), (std::vector<int>{2, 3}));
    EXPECT_EQ(layer.blobs()[0]->cpu_data()[4], 4.f);
  }
  // Same weights against a 4-input bottom.
  expect_setup_error(legacy, {1, 4}, {"1 x 1 x 2 x 3", "2 x 4", "weights"});
  // Transposed weights loaded for a non-transposed layer.
  LayerParameter swapped = ip_param("num_output: 2 bias_term: false");
  Blob kn({3, 2});
  kn.to_proto(swapped.add_blobs());
  expect_setup_error(swapped, {1, 3}, {"3 x 2", "2 x 3"});
  // Bias blob count.
  LayerParameter missing = ip_param("num_output: 2");
  Blob nk({2, 3});
  nk.to_proto(missing.add_blobs());
  expect_setup_error(missing, {1, 3}, {"bias_term"});
}

TEST(InnerProductLayer, RejectsInputSizeChange) {
  Blob x({2, 3}), y;
  auto layer = create_layer(ip_param("num_output: 2"));
  EXPECT_STREQ(layer->type(), "InnerProduct");
  layer->setup({&x}, {&y});
  x.reshape({5, 3});
  layer->forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{5, 2}));
  x.reshape({5, 4});
  EXPECT_THROW(layer->forward({&x}, {&y}), Error);
}

}  // namespace
}  // namespace hwgq
