#include "hwgq/layers/convolution_layer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter conv_param(const std::string& conv_text, const std::string& extra = "") {
  LayerParameter param;
  parse_text_proto("name: \"conv\" type: \"Convolution\" convolution_param { " + conv_text + " } " + extra, "test",
                   &param);
  return param;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

void expect_values(const Blob& blob, const std::vector<float>& values, float tol = 1e-5f) {
  ASSERT_EQ(blob.count(), (int)values.size());
  for (int i = 0; i < blob.count(); ++i) EXPECT_NEAR(blob.cpu_data()[i], values[i], tol) << "element " << i;
}

struct ConvSpec {
  int kh, kw, sh, sw, ph, pw, dh, dw, group, num_output;
};

// Direct 7-loop convolution: the reference the im2col + GEMM path must match.
std::vector<float> reference_conv(const Blob& x, const Blob& w, const Blob* b, const ConvSpec& s) {
  const int n = x.shape(0), c = x.shape(1), h = x.shape(2), wd = x.shape(3);
  const int oh = (h + 2 * s.ph - (s.dh * (s.kh - 1) + 1)) / s.sh + 1;
  const int ow = (wd + 2 * s.pw - (s.dw * (s.kw - 1) + 1)) / s.sw + 1;
  const int cg = c / s.group, og = s.num_output / s.group;
  std::vector<float> y(static_cast<size_t>(n) * s.num_output * oh * ow);
  for (int i = 0; i < n; ++i)
    for (int o = 0; o < s.num_output; ++o)
      for (int yh = 0; yh < oh; ++yh)
        for (int yw = 0; yw < ow; ++yw) {
          double sum = b ? b->cpu_data()[o] : 0.0;
          const int g = o / og;
          for (int ci = 0; ci < cg; ++ci)
            for (int a = 0; a < s.kh; ++a)
              for (int e = 0; e < s.kw; ++e) {
                const int ih = yh * s.sh - s.ph + a * s.dh;
                const int iw = yw * s.sw - s.pw + e * s.dw;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                sum += double(x.cpu_data()[x.offset(i, g * cg + ci, ih, iw)]) *
                       w.cpu_data()[((o * cg + ci) * s.kh + a) * s.kw + e];
              }
          y[((static_cast<size_t>(i) * s.num_output + o) * oh + yh) * ow + yw] = static_cast<float>(sum);
        }
  return y;
}

std::string spec_text(const ConvSpec& s, bool bias) {
  std::ostringstream text;
  text << "num_output: " << s.num_output << " kernel_h: " << s.kh << " kernel_w: " << s.kw << " stride_h: " << s.sh
       << " stride_w: " << s.sw << " pad_h: " << s.ph << " pad_w: " << s.pw << " dilation: " << s.dh
       << " dilation: " << s.dw << " group: " << s.group << " bias_term: " << (bias ? "true" : "false")
       << " weight_filler { type: \"gaussian\" std: 0.5 } bias_filler { type: \"uniform\" min: -1 max: 1 }";
  return text.str();
}

TEST(ConvolutionLayer, HandComputedPaddingAndStride) {
  Blob x({1, 1, 3, 3}), y;
  set_values(&x, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  ConvolutionLayer layer(conv_param("num_output: 1 kernel_size: 2 stride: 2 pad: 1"));
  layer.setup({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 2, 2}));
  set_values(layer.blobs()[0].get(), {1, 0, 0, -1});
  set_values(layer.blobs()[1].get(), {0.5f});
  layer.forward({&x}, {&y});
  // Windows start at (-1,-1), (-1,1), (1,-1), (1,1); padding reads as zero.
  expect_values(y, {-1 + 0.5f, -3 + 0.5f, -7 + 0.5f, 5 - 9 + 0.5f});
}

TEST(ConvolutionLayer, HandComputedDilation) {
  Blob x({1, 1, 4, 4}), y;
  for (int i = 0; i < 16; ++i) x.mutable_cpu_data()[i] = static_cast<float>(i);
  ConvolutionLayer layer(conv_param("num_output: 1 kernel_size: 2 dilation: 2 bias_term: false"));
  layer.setup({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 1, 2, 2}));
  set_values(layer.blobs()[0].get(), {1, 1, 1, 1});
  layer.forward({&x}, {&y});
  // Taps at offsets (0,0), (0,2), (2,0), (2,2).
  expect_values(y, {0 + 2 + 8 + 10, 1 + 3 + 9 + 11, 4 + 6 + 12 + 14, 5 + 7 + 13 + 15});
}

TEST(ConvolutionLayer, HandComputedGroups) {
  Blob x({1, 2, 2, 2}), y;
  set_values(&x, {1, 2, 3, 4, 5, 6, 7, 8});
  ConvolutionLayer layer(conv_param("num_output: 4 kernel_size: 2 group: 2 bias_term: false"));
  layer.setup({&x}, {&y});
  EXPECT_EQ(layer.blobs()[0]->shape(), (std::vector<int>{4, 1, 2, 2}));
  // Outputs 0, 1 see channel 0 only; outputs 2, 3 see channel 1 only.
  set_values(layer.blobs()[0].get(), {1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1});
  layer.forward({&x}, {&y});
  expect_values(y, {10, 1, 26, 8});
}

TEST(ConvolutionLayer, HandComputedPointwise) {
  Blob x({1, 2, 1, 2}), y;
  set_values(&x, {1, 2, 10, 20});
  ConvolutionLayer layer(conv_param("num_output: 2 kernel_size: 1"));
  layer.setup({&x}, {&y});
  set_values(layer.blobs()[0].get(), {1, -1, 0.5f, 2});
  set_values(layer.blobs()[1].get(), {100, 0});
  layer.forward({&x}, {&y});
  expect_values(y, {1 - 10 + 100, 2 - 20 + 100, 0.5f + 20, 1 + 40});
}

// Odd shapes against the direct reference, one image (threaded GEMM) and several
// (images spread over threads).
TEST(ConvolutionLayer, MatchesReferenceOnOddShapes) {
  const std::vector<ConvSpec> specs = {
      {3, 3, 1, 1, 1, 1, 1, 1, 1, 7},  {5, 3, 2, 1, 2, 0, 1, 1, 1, 4}, {3, 2, 2, 3, 1, 1, 2, 1, 1, 5},
      {3, 3, 1, 2, 1, 2, 1, 2, 13, 13}, {1, 1, 1, 1, 0, 0, 1, 1, 1, 6}, {1, 1, 2, 2, 0, 0, 1, 1, 1, 3},
      {2, 2, 1, 1, 0, 0, 1, 1, 13, 26},
  };
  for (int num : {1, 3}) {
    for (const ConvSpec& s : specs) {
      Blob x({num, 13, 7, 5}), y;
      test::fill_uniform(&x, 7 * num + s.kh);
      ConvolutionLayer layer(conv_param(spec_text(s, true)));
      layer.setup({&x}, {&y});
      layer.forward({&x}, {&y});
      const std::vector<float> ref = reference_conv(x, *layer.blobs()[0], layer.blobs()[1].get(), s);
      ASSERT_EQ(y.count(), (int)ref.size());
      for (int i = 0; i < y.count(); ++i) {
        ASSERT_NEAR(y.cpu_data()[i], ref[i], 1e-4f) << "kernel " << s.kh << "x" << s.kw << " group " << s.group
                                                     << " num " << num << " element " << i;
      }
    }
  }
}

TEST(ConvolutionLayer, GradientsPaddedStridedDilatedGrouped) {
  const std::vector<ConvSpec> specs = {
      {3, 3, 2, 1, 1, 1, 1, 1, 1, 3},  // pad + stride
      {2, 3, 1, 1, 1, 0, 2, 1, 1, 2},  // dilation
      {3, 3, 1, 1, 1, 1, 1, 1, 3, 3},  // groups
      {1, 1, 1, 1, 0, 0, 1, 1, 1, 4},  // pointwise (no im2col)
  };
  for (int num : {1, 2}) {
    for (const ConvSpec& s : specs) {
      Blob x({num, 3, 5, 4}), y;
      test::fill_uniform(&x, 11);
      ConvolutionLayer layer(conv_param(spec_text(s, true)));
      layer.setup({&x}, {&y});
      SCOPED_TRACE("kernel " + std::to_string(s.kh) + "x" + std::to_string(s.kw) + " group " + std::to_string(s.group) +
                   " num " + std::to_string(num));
      EXPECT_GT(test::check_gradients(layer, {&x}, {&y}), 0);
    }
  }
}

// A batch large enough to be spread over threads (per-thread columns and weight-gradient
// sums) must give what the images give one at a time.
TEST(ConvolutionLayer, BatchEqualsImagesOneAtATime) {
  for (const char* text : {"num_output: 16 kernel_size: 3 pad: 1 group: 2", "num_output: 64 kernel_size: 1"}) {
    SCOPED_TRACE(text);
    const bool pointwise = std::string(text).find("kernel_size: 1") != std::string::npos;
    const int channels = pointwise ? 64 : 16, size = pointwise ? 8 : 16;
    Blob x({4, channels, size, size}), y;
    test::fill_uniform(&x, 17);
    ConvolutionLayer layer(conv_param(std::string(text) + " weight_filler { type: \"xavier\" } bias_filler { type: "
                                                          "\"uniform\" }"));
    layer.setup({&x}, {&y});
    layer.forward({&x}, {&y});
    test::fill_uniform(&y, 19);
    std::copy(y.cpu_data(), y.cpu_data() + y.count(), y.mutable_cpu_diff());
    layer.forward({&x}, {&y});
    for (auto& b : layer.blobs()) b->set_diff(0.f);
    layer.backward({&y}, {true}, {&x});
    const std::vector<float> top(y.cpu_data(), y.cpu_data() + y.count());
    const std::vector<float> dtop(y.cpu_diff(), y.cpu_diff() + y.count());
    const std::vector<float> dx(x.cpu_diff(), x.cpu_diff() + x.count());
    std::vector<std::vector<float>> dparams;
    for (auto& b : layer.blobs()) {
      dparams.emplace_back(b->cpu_diff(), b->cpu_diff() + b->count());
      b->set_diff(0.f);
    }

    const int in_step = x.count(1), out_step = y.count(1);
    Blob xi({1, channels, size, size}), yi;
    for (int n = 0; n < 4; ++n) {
      std::copy(x.cpu_data() + n * in_step, x.cpu_data() + (n + 1) * in_step, xi.mutable_cpu_data());
      layer.forward({&xi}, {&yi});
      for (int i = 0; i < out_step; ++i) ASSERT_NEAR(yi.cpu_data()[i], top[n * out_step + i], 1e-4f) << "top " << n;
      std::copy(dtop.begin() + n * out_step, dtop.begin() + (n + 1) * out_step, yi.mutable_cpu_diff());
      layer.backward({&yi}, {true}, {&xi});
      for (int i = 0; i < in_step; ++i) ASSERT_NEAR(xi.cpu_diff()[i], dx[n * in_step + i], 1e-4f) << "bottom diff " << n;
    }
    for (size_t b = 0; b < dparams.size(); ++b) {
      for (size_t i = 0; i < dparams[b].size(); ++i) {
        ASSERT_NEAR(layer.blobs()[b]->cpu_diff()[i], dparams[b][i], 1e-3f) << "param " << b << " element " << i;
      }
    }
  }
}

TEST(ConvolutionLayer, ParameterGradientsAccumulate) {
  Blob x({2, 2, 4, 4}), y;
  test::fill_uniform(&x, 3);
  ConvolutionLayer layer(conv_param("num_output: 3 kernel_size: 3 pad: 1 weight_filler { type: \"xavier\" }"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  test::fill_uniform(&y, 5);
  // Swap the diff in: fill_uniform wrote data, copy it into diff.
  std::copy(y.cpu_data(), y.cpu_data() + y.count(), y.mutable_cpu_diff());
  for (auto& b : layer.blobs()) b->set_diff(0.f);
  layer.backward({&y}, {true}, {&x});
  const std::vector<float> once(layer.blobs()[0]->cpu_diff(), layer.blobs()[0]->cpu_diff() + layer.blobs()[0]->count());
  const float bias_once = layer.blobs()[1]->cpu_diff()[0];
  layer.backward({&y}, {true}, {&x});
  for (size_t i = 0; i < once.size(); ++i) EXPECT_NEAR(layer.blobs()[0]->cpu_diff()[i], 2 * once[i], 1e-4f);
  EXPECT_NEAR(layer.blobs()[1]->cpu_diff()[0], 2 * bias_once, 1e-4f);
}

TEST(ConvolutionLayer, SkipsGradientsNotAskedFor) {
  Blob x({2, 2, 4, 4}), y;
  test::fill_uniform(&x, 3);
  ConvolutionLayer layer(conv_param("num_output: 3 kernel_size: 3 weight_filler { type: \"xavier\" }"));
  layer.setup({&x}, {&y});
  layer.forward({&x}, {&y});
  y.set_diff(1.f);
  x.set_diff(42.f);
  layer.set_param_propagate_down(0, false);
  layer.blobs()[0]->set_diff(0.f);
  layer.backward({&y}, {false}, {&x});
  EXPECT_EQ(x.cpu_diff()[0], 42.f);
  EXPECT_EQ(layer.blobs()[0]->asum_diff(), 0.0);
  EXPECT_NE(layer.blobs()[1]->asum_diff(), 0.0);
}

TEST(ConvolutionLayer, RegisteredAndReshapes) {
  auto layer = create_layer(conv_param("num_output: 2 kernel_size: 3 stride: 2"));
  EXPECT_STREQ(layer->type(), "Convolution");
  Blob x({1, 3, 9, 7}), y;
  layer->setup({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{1, 2, 4, 3}));
  x.reshape({2, 3, 5, 5});
  layer->forward({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{2, 2, 2, 2}));
}

void expect_setup_error(const LayerParameter& param, const std::vector<int>& shape, const std::string& fragment) {
  Blob x(shape), y;
  try {
    ConvolutionLayer layer(param);
    layer.setup({&x}, {&y});
    ADD_FAILURE() << "expected an error containing \"" << fragment << "\"";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_NE(message.find("\"conv\""), std::string::npos) << message;
  }
}

TEST(ConvolutionLayer, RejectsBadParameters) {
  expect_setup_error(conv_param("kernel_size: 3"), {1, 2, 5, 5}, "num_output");
  expect_setup_error(conv_param("num_output: 0 kernel_size: 3"), {1, 2, 5, 5}, "num_output");
  expect_setup_error(conv_param("num_output: 2"), {1, 2, 5, 5}, "kernel_size");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 0"), {1, 2, 5, 5}, "kernel size must be > 0");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 stride: 0"), {1, 2, 5, 5}, "stride must be > 0");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 dilation: 0"), {1, 2, 5, 5}, "dilation must be > 0");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 group: 2"), {1, 3, 5, 5}, "divisible by group");
  expect_setup_error(conv_param("num_output: 3 kernel_size: 3 group: 2"), {1, 4, 5, 5}, "num_output 3 must be divisible");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 6"), {1, 2, 5, 5}, "does not fit");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 dilation: 3"), {1, 2, 5, 5}, "does not fit");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 kernel_h: 3 kernel_w: 3"), {1, 2, 5, 5}, "not both");
  expect_setup_error(conv_param("num_output: 2 kernel_h: 3"), {1, 2, 5, 5}, "kernel_w");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 kernel_size: 3 kernel_size: 3"), {1, 2, 5, 5, 5},
                     "4-d bottom");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 kernel_size: 3 kernel_size: 3"), {1, 2, 5, 5},
                     "one or two kernel_size");
  expect_setup_error(conv_param("num_output: 2 kernel_size: 3 axis: 2"), {1, 2, 5, 5}, "axis");
}

TEST(ConvolutionLayer, ChecksLoadedWeights) {
  // A weight blob of the right shape is kept as loaded, not refilled.
  LayerParameter good = conv_param("num_output: 2 kernel_size: 1 weight_filler { type: \"constant\" value: 9 }");
  Blob w({2, 3, 1, 1});
  for (int i = 0; i < 6; ++i) w.mutable_cpu_data()[i] = static_cast<float>(i);
  w.to_proto(good.add_blobs());
  // A legacy 4-d bias (1 x 1 x 1 x 2) is accepted for a bias of shape 2.
  BlobProto* bias = good.add_blobs();
  bias->set_num(1);
  bias->set_channels(1);
  bias->set_height(1);
  bias->set_width(2);
  bias->add_data(0.5f);
  bias->add_data(-0.5f);
  {
    ConvolutionLayer layer(good);
    Blob x({1, 3, 2, 2}), y;
    layer.setup({&x}, {&y});
    EXPECT_EQ(layer.blobs()[0]->cpu_data()[5], 5.f);
    EXPECT_EQ(layer.blobs()[1]->shape(), (std::vector<int>{2}));
    EXPECT_EQ(layer.blobs()[1]->cpu_data()[1], -0.5f);
  }
  // Weights for 4 input channels do not fit a 3-channel bottom: both shapes are named.
  LayerParameter bad = conv_param("num_output: 2 kernel_size: 1 bias_term: false");
  Blob w4({2, 4, 1, 1});
  w4.to_proto(bad.add_blobs());
  expect_setup_error(bad, {1, 3, 2, 2}, "2 x 4 x 1 x 1");
  expect_setup_error(bad, {1, 3, 2, 2}, "2 x 3 x 1 x 1");
  // A bias blob missing for bias_term: true.
  LayerParameter missing = conv_param("num_output: 2 kernel_size: 1");
  w.to_proto(missing.add_blobs());
  expect_setup_error(missing, {1, 3, 2, 2}, "bias_term");
  // Loaded bias of the wrong length.
  LayerParameter bad_bias = conv_param("num_output: 2 kernel_size: 1");
  w.to_proto(bad_bias.add_blobs());
  Blob b3({3});
  b3.to_proto(bad_bias.add_blobs());
  expect_setup_error(bad_bias, {1, 3, 2, 2}, "bias");
}

TEST(ConvolutionLayer, RejectsChannelChangeOnReshape) {
  Blob x({1, 3, 5, 5}), y;
  ConvolutionLayer layer(conv_param("num_output: 2 kernel_size: 3"));
  layer.setup({&x}, {&y});
  x.reshape({1, 4, 5, 5});
  EXPECT_THROW(layer.forward({&x}, {&y}), Error);
}

}  // namespace
}  // namespace hwgq
