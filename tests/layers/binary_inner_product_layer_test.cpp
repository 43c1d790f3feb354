#include "hwgq/layers/binary_inner_product_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char* kIp = "num_output: 5 weight_filler { type: \"gaussian\" std: 0.3 } bias_filler { type: \"uniform\" }";

LayerParameter param_for(const std::string& type, const std::string& ip_text, const std::string& binary_text) {
  LayerParameter param;
  std::string text = "name: \"bfc\" type: \"" + type + "\" inner_product_param { " + ip_text + " }";
  if (!binary_text.empty()) text += " binary_inner_product_param { " + binary_text + " }";
  parse_text_proto(text, "test", &param);
  return param;
}

void expect_near(const float* a, const float* b, int n, const char* what, float tol = 1e-4f) {
  for (int i = 0; i < n; ++i) ASSERT_NEAR(a[i], b[i], tol) << what << " element " << i;
}

void check_against_plain(bool use_alpha) {
  Blob x({4, 13, 1, 1}), y_bin, y_ref;
  test::fill_uniform(&x, 12);
  BinaryInnerProductLayer bin(param_for("BinaryInnerProduct", kIp, use_alpha ? "use_alpha: true" : ""));
  bin.setup({&x}, {&y_bin});
  bin.blobs()[0]->mutable_cpu_data()[0] = 0.f;
  InnerProductLayer ref(param_for("InnerProduct", kIp, ""));
  ref.setup({&x}, {&y_ref});
  const Blob& w = *bin.blobs()[0];
  for (int i = 0; i < 5; ++i) {
    double alpha = 0;
    for (int j = 0; j < 13; ++j) alpha += std::fabs(w.cpu_data()[i * 13 + j]);
    alpha = use_alpha ? alpha / 13 : 1.0;
    for (int j = 0; j < 13; ++j) {
      ref.blobs()[0]->mutable_cpu_data()[i * 13 + j] =
          static_cast<float>(w.cpu_data()[i * 13 + j] >= 0 ? alpha : -alpha);
    }
  }
  std::copy(bin.blobs()[1]->cpu_data(), bin.blobs()[1]->cpu_data() + 5, ref.blobs()[1]->mutable_cpu_data());

  bin.forward({&x}, {&y_bin});
  ref.forward({&x}, {&y_ref});
  expect_near(y_bin.cpu_data(), y_ref.cpu_data(), y_ref.count(), "top");
  expect_near(bin.binarized_weights().cpu_data(), ref.blobs()[0]->cpu_data(), 65, "binarized weights", 1e-6f);

  test::fill_uniform(&y_ref, 3);
  std::copy(y_ref.cpu_data(), y_ref.cpu_data() + y_ref.count(), y_ref.mutable_cpu_diff());
  std::copy(y_ref.cpu_data(), y_ref.cpu_data() + y_ref.count(), y_bin.mutable_cpu_diff());
  for (auto& b : bin.blobs()) b->set_diff(0.f);
  for (auto& b : ref.blobs()) b->set_diff(0.f);
  bin.backward({&y_bin}, {true}, {&x});
  const std::vector<float> dx_bin(x.cpu_diff(), x.cpu_diff() + x.count());
  ref.backward({&y_ref}, {true}, {&x});
  expect_near(dx_bin.data(), x.cpu_diff(), x.count(), "bottom diff");
  expect_near(bin.blobs()[0]->cpu_diff(), ref.blobs()[0]->cpu_diff(), 65, "weight diff");
  expect_near(bin.blobs()[1]->cpu_diff(), ref.blobs()[1]->cpu_diff(), 5, "bias diff");
}

TEST(BinaryInnerProductLayer, EqualsInnerProductWithAlphaSignWeights) { check_against_plain(true); }

TEST(BinaryInnerProductLayer, EqualsInnerProductWithSignWeightsWithoutAlpha) { check_against_plain(false); }

TEST(BinaryInnerProductLayer, HandComputed) {
  Blob x({1, 4}), y;
  for (int i = 0; i < 4; ++i) x.mutable_cpu_data()[i] = static_cast<float>(i + 1);
  BinaryInnerProductLayer layer(param_for("BinaryInnerProduct", "num_output: 2 bias_term: false", "use_alpha: true"));
  layer.setup({&x}, {&y});
  const std::vector<float> w = {0.5f, -1.5f, 0.f, 2.f, -0.1f, -0.3f, 0.2f, 0.2f};
  std::copy(w.begin(), w.end(), layer.blobs()[0]->mutable_cpu_data());
  layer.forward({&x}, {&y});
  EXPECT_NEAR(y.cpu_data()[0], 6.f, 1e-5f);
  EXPECT_NEAR(y.cpu_data()[1], 0.8f, 1e-5f);
}

TEST(BinaryInnerProductLayer, WithoutBinarizationIsPlainInnerProduct) {
  Blob x({3, 7}), y;
  test::fill_uniform(&x, 5);
  BinaryInnerProductLayer layer(param_for("BinaryInnerProduct", kIp, "use_binarization: false"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  const Blob& w = *layer.blobs()[0];
  double expected = layer.blobs()[1]->cpu_data()[2];
  for (int k = 0; k < 7; ++k) expected += double(x.cpu_data()[7 + k]) * w.cpu_data()[2 * 7 + k];
  EXPECT_NEAR(y.cpu_data()[1 * 5 + 2], expected, 1e-5);
  EXPECT_GT(test::check_gradients(layer, {&x}, {&y}), 0);
}

TEST(BinaryInnerProductLayer, BottomGradientNumerically) {
  Blob x({3, 2, 3, 2}), y;
  test::fill_uniform(&x, 7);
  BinaryInnerProductLayer layer(param_for("BinaryInnerProduct", kIp, "use_alpha: true"));
  layer.setup({&x}, {&y});
  test::GradientCheckOptions options;
  options.check_params = false;
  EXPECT_GT(test::check_gradients(layer, {&x}, {&y}, options), 0);
}

TEST(BinaryInnerProductLayer, RejectsTransposeAndBadLoadedWeights) {
  auto layer = create_layer(param_for("BinaryInnerProduct", "num_output: 2", ""));
  EXPECT_STREQ(layer->type(), "BinaryInnerProduct");
  Blob x({2, 3}), y;
  BinaryInnerProductLayer transposed(param_for("BinaryInnerProduct", "num_output: 2 transpose: true", ""));
  try {
    transposed.setup({&x}, {&y});
    ADD_FAILURE() << "expected a transpose error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("transpose"), std::string::npos) << e.what();
  }
  LayerParameter bad = param_for("BinaryInnerProduct", "num_output: 2 bias_term: false", "");
  Blob w({2, 4});
  w.to_proto(bad.add_blobs());
  BinaryInnerProductLayer loaded(bad);
  try {
    loaded.setup({&x}, {&y});
    ADD_FAILURE() << "expected a shape error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\"bfc\""), std::string::npos) << message;
    EXPECT_NE(message.find("2 x 4"), std::string::npos) << message;
    EXPECT_NE(message.find("2 x 3"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace hwgq
