#include "hwgq/layers/binary_convolution_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char* kConv = "num_output: 6 kernel_size: 3 stride: 2 pad: 1 group: 3 dilation: 1 "
                    "weight_filler { type: \"gaussian\" std: 0.3 } bias_filler { type: \"uniform\" min: -1 max: 1 }";

LayerParameter param_for(const std::string& type, const std::string& conv_text, const std::string& binary_text) {
  LayerParameter param;
  std::string text = "name: \"bconv\" type: \"" + type + "\" convolution_param { " + conv_text + " }";
  if (!binary_text.empty()) text += " binary_convolution_param { " + binary_text + " }";
  parse_text_proto(text, "test", &param);
  return param;
}

// alpha_i * sign(W[i,:]) written out independently of binarize_rows.
std::vector<float> expected_binary(const Blob& w, bool use_alpha) {
  const int rows = w.shape(0), cols = w.count(1);
  std::vector<float> out(w.count());
  for (int i = 0; i < rows; ++i) {
    double alpha = 0;
    for (int j = 0; j < cols; ++j) alpha += std::fabs(w.cpu_data()[i * cols + j]);
    alpha = use_alpha ? alpha / cols : 1.0;
    for (int j = 0; j < cols; ++j) out[i * cols + j] = static_cast<float>(w.cpu_data()[i * cols + j] >= 0 ? alpha : -alpha);
  }
  return out;
}

void expect_near(const float* a, const float* b, int n, const char* what, float tol = 1e-4f) {
  for (int i = 0; i < n; ++i) ASSERT_NEAR(a[i], b[i], tol) << what << " element " << i;
}

// The binary layer must equal a plain Convolution whose weights are alpha * sign(W):
// forward, bottom gradient and weight gradient (which lands on the real W's diff).
void check_against_plain(bool use_alpha, int num) {
  Blob x({num, 3, 7, 5}), y_bin, y_ref;
  test::fill_uniform(&x, 21);
  BinaryConvolutionLayer bin(param_for("BinaryConvolution", kConv, use_alpha ? "use_alpha: true" : ""));
  bin.setup({&x}, {&y_bin});
  // A zero weight must binarize to +alpha.
  bin.blobs()[0]->mutable_cpu_data()[4] = 0.f;
  ConvolutionLayer ref(param_for("Convolution", kConv, ""));
  ref.setup({&x}, {&y_ref});
  const std::vector<float> wb = expected_binary(*bin.blobs()[0], use_alpha);
  std::copy(wb.begin(), wb.end(), ref.blobs()[0]->mutable_cpu_data());
  std::copy(bin.blobs()[1]->cpu_data(), bin.blobs()[1]->cpu_data() + 6, ref.blobs()[1]->mutable_cpu_data());

  bin.forward({&x}, {&y_bin});
  ref.forward({&x}, {&y_ref});
  expect_near(y_bin.cpu_data(), y_ref.cpu_data(), y_ref.count(), "top");
  expect_near(bin.binarized_weights().cpu_data(), wb.data(), (int)wb.size(), "binarized weights", 1e-6f);
  EXPECT_FLOAT_EQ(bin.binarized_weights().cpu_data()[4], use_alpha ? bin.alphas()[0] : 1.f);

  test::fill_uniform(&y_ref, 8);
  std::copy(y_ref.cpu_data(), y_ref.cpu_data() + y_ref.count(), y_ref.mutable_cpu_diff());
  std::copy(y_ref.cpu_data(), y_ref.cpu_data() + y_ref.count(), y_bin.mutable_cpu_diff());
  for (auto& b : bin.blobs()) b->set_diff(0.f);
  for (auto& b : ref.blobs()) b->set_diff(0.f);
  bin.backward({&y_bin}, {true}, {&x});
  const std::vector<float> dx_bin(x.cpu_diff(), x.cpu_diff() + x.count());
  ref.backward({&y_ref}, {true}, {&x});
  expect_near(dx_bin.data(), x.cpu_diff(), x.count(), "bottom diff");
  expect_near(bin.blobs()[0]->cpu_diff(), ref.blobs()[0]->cpu_diff(), ref.blobs()[0]->count(), "weight diff");
  expect_near(bin.blobs()[1]->cpu_diff(), ref.blobs()[1]->cpu_diff(), 6, "bias diff");
  // The real weights themselves are left alone.
  EXPECT_EQ(bin.blobs()[0]->cpu_data()[4], 0.f);
}

TEST(BinaryConvolutionLayer, EqualsConvolutionWithAlphaSignWeights) {
  for (int num : {1, 3}) check_against_plain(true, num);
}

TEST(BinaryConvolutionLayer, EqualsConvolutionWithSignWeightsWithoutAlpha) {
  for (int num : {1, 3}) check_against_plain(false, num);
}

TEST(BinaryConvolutionLayer, HandComputed) {
  Blob x({1, 1, 2, 2}), y;
  for (int i = 0; i < 4; ++i) x.mutable_cpu_data()[i] = static_cast<float>(i + 1);
  BinaryConvolutionLayer layer(param_for("BinaryConvolution", "num_output: 2 kernel_size: 2 bias_term: false",
                                         "use_alpha: true"));
  layer.setup({&x}, {&y});
  const std::vector<float> w = {0.5f, -1.5f, 0.f, 2.f, -0.1f, -0.3f, 0.2f, 0.2f};
  std::copy(w.begin(), w.end(), layer.blobs()[0]->mutable_cpu_data());
  layer.forward({&x}, {&y});
  // Filter 0: alpha 1, signs + - + +  -> 1 - 2 + 3 + 4 = 6.
  // Filter 1: alpha 0.2, signs - - + + -> 0.2 * (-1 - 2 + 3 + 4) = 0.8.
  EXPECT_NEAR(y.cpu_data()[0], 6.f, 1e-5f);
  EXPECT_NEAR(y.cpu_data()[1], 0.8f, 1e-5f);
  EXPECT_NEAR(layer.alphas()[1], 0.2f, 1e-6f);
}

TEST(BinaryConvolutionLayer, RebinarizesOnEveryForward) {
  Blob x({1, 1, 1, 1}), y;
  x.mutable_cpu_data()[0] = 1.f;
  BinaryConvolutionLayer layer(
      param_for("BinaryConvolution", "num_output: 1 kernel_size: 1 bias_term: false", "use_alpha: true"));
  layer.setup({&x}, {&y});
  layer.blobs()[0]->mutable_cpu_data()[0] = 0.25f;
  layer.forward({&x}, {&y});
  EXPECT_FLOAT_EQ(y.cpu_data()[0], 0.25f);
  layer.blobs()[0]->mutable_cpu_data()[0] = -3.f;
  layer.forward({&x}, {&y});
  EXPECT_FLOAT_EQ(y.cpu_data()[0], -3.f);
}

TEST(BinaryConvolutionLayer, WithoutBinarizationIsPlainConvolution) {
  Blob x({2, 3, 5, 4}), y_bin, y_ref;
  test::fill_uniform(&x, 2);
  BinaryConvolutionLayer bin(param_for("BinaryConvolution", kConv, "use_alpha: true use_binarization: false"));
  bin.setup({&x}, {&y_bin});
  ConvolutionLayer ref(param_for("Convolution", kConv, ""));
  ref.setup({&x}, {&y_ref});
  for (int b = 0; b < 2; ++b) {
    const Blob& src = *bin.blobs()[b];
    std::copy(src.cpu_data(), src.cpu_data() + src.count(), ref.blobs()[b]->mutable_cpu_data());
  }
  bin.forward({&x}, {&y_bin});
  ref.forward({&x}, {&y_ref});
  expect_near(y_bin.cpu_data(), y_ref.cpu_data(), y_ref.count(), "top", 0.f);
  expect_near(bin.binarized_weights().cpu_data(), bin.blobs()[0]->cpu_data(), bin.blobs()[0]->count(), "weights", 0.f);
  // With real weights every gradient is an ordinary one, parameters included.
  EXPECT_GT(test::check_gradients(bin, {&x}, {&y_bin}), 0);
}

TEST(BinaryConvolutionLayer, BottomGradientNumerically) {
  Blob x({2, 3, 5, 4}), y;
  test::fill_uniform(&x, 6);
  BinaryConvolutionLayer layer(param_for("BinaryConvolution", kConv, "use_alpha: true"));
  layer.setup({&x}, {&y});
  // The numeric gradient of the real weights goes through sign() and means nothing; the
  // weight gradient is checked against Convolution above.
  test::GradientCheckOptions options;
  options.check_params = false;
  EXPECT_GT(test::check_gradients(layer, {&x}, {&y}, options), 0);
}

TEST(BinaryConvolutionLayer, RegisteredAndChecksLoadedWeights) {
  auto layer = create_layer(param_for("BinaryConvolution", "num_output: 2 kernel_size: 1", ""));
  EXPECT_STREQ(layer->type(), "BinaryConvolution");
  LayerParameter bad = param_for("BinaryConvolution", "num_output: 2 kernel_size: 3 bias_term: false", "");
  Blob w({2, 3, 1, 1});
  w.to_proto(bad.add_blobs());
  BinaryConvolutionLayer loaded(bad);
  Blob x({1, 3, 4, 4}), y;
  try {
    loaded.setup({&x}, {&y});
    ADD_FAILURE() << "expected a shape error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("\"bconv\" (BinaryConvolution)"), std::string::npos) << message;
    EXPECT_NE(message.find("2 x 3 x 1 x 1"), std::string::npos) << message;
    EXPECT_NE(message.find("2 x 3 x 3 x 3"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace hwgq
