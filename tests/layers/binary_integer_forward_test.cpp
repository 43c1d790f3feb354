// The integer forward of BinaryConvolution / BinaryInnerProduct (pass
// integer_binary_forward): forward against a double-precision direct reference, next to the
// float path; backward unchanged; the pass's choices; training and whole-net agreement.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "hwgq/kernels/code_sign_gemm.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/net.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter layer_param(const std::string& text) {
  LayerParameter param;
  parse_text_proto(text, "test", &param);
  return param;
}

// Quant output of Gaussian input: about half zeros, the rest spread over the levels.
void quantized_input(const std::vector<float>& centers, Blob* x, Blob* xq, uint64_t seed) {
  test::fill_gaussian(x, seed, 0.3f, 1.f);
  std::string text = "name: \"q\" type: \"Quant\" quant_param { forward_func: \"hwgq\"";
  for (float c : centers) text += " centers: " + std::to_string(c);
  text += " }";
  QuantLayer quant(layer_param(text));
  quant.setup({x}, {xq});
  quant.forward({x}, {xq});
}

void copy_data(const Blob& from, Blob* to) { std::copy_n(from.cpu_data(), from.count(), to->mutable_cpu_data()); }

kernels::LevelCodes codes_for(const std::vector<float>& centers) {
  kernels::LevelCodes codes;
  EXPECT_TRUE(kernels::uniform_codes(centers, &codes));
  return codes;
}

struct Errors {
  double integer = 0, floating = 0, scale = 0;
};

// Max |y - ref| of both paths; ref in double from the float binarized weights and inputs.
Errors compare(const std::vector<double>& ref, const Blob& y_int, const Blob& y_float) {
  Errors e;
  for (size_t i = 0; i < ref.size(); ++i) {
    e.integer = std::max(e.integer, std::fabs(y_int.cpu_data()[i] - ref[i]));
    e.floating = std::max(e.floating, std::fabs(y_float.cpu_data()[i] - ref[i]));
    e.scale = std::max(e.scale, std::fabs(ref[i]));
  }
  return e;
}

struct ConvCase {
  std::vector<float> centers;
  int n, c, h, w, o, k, stride, pad, group;
  bool bias;
};

const std::string conv_text(const ConvCase& s) {
  return "name: \"bconv\" type: \"BinaryConvolution\" convolution_param { num_output: " + std::to_string(s.o) +
         " kernel_size: " + std::to_string(s.k) + " stride: " + std::to_string(s.stride) +
         " pad: " + std::to_string(s.pad) + " group: " + std::to_string(s.group) +
         " bias_term: " + (s.bias ? "true" : "false") +
         " weight_filler { type: \"gaussian\" std: 0.1 } bias_filler { type: \"uniform\" min: -1 max: 1 } }"
         " binary_convolution_param { use_alpha: true }";
}

void check_conv(const ConvCase& s) {
  Blob x({s.n, s.c, s.h, s.w}), xq, y_int, y_float;
  quantized_input(s.centers, &x, &xq, 5 + s.c);
  BinaryConvolutionLayer int_layer(layer_param(conv_text(s)));
  BinaryConvolutionLayer float_layer(layer_param(conv_text(s)));
  int_layer.setup({&xq}, {&y_int});
  float_layer.setup({&xq}, {&y_float});
  for (size_t b = 0; b < int_layer.blobs().size(); ++b) {
    test::fill_gaussian(int_layer.blobs()[b].get(), 40 + b, 0.f, 0.1f);
    copy_data(*int_layer.blobs()[b], float_layer.blobs()[b].get());
  }
  int_layer.blobs()[0]->mutable_cpu_data()[3] = 0.f;  // sign(0) = +1 on both paths
  float_layer.blobs()[0]->mutable_cpu_data()[3] = 0.f;
  int_layer.use_integer_forward(codes_for(s.centers));
  ASSERT_TRUE(int_layer.integer_forward());
  ASSERT_FALSE(float_layer.integer_forward());
  int_layer.forward({&xq}, {&y_int});
  float_layer.forward({&xq}, {&y_float});

  const Blob& wb = float_layer.binarized_weights();
  const int oh = y_int.shape(2), ow = y_int.shape(3), cg = s.c / s.group, og = s.o / s.group;
  std::vector<double> ref(y_int.count());
  for (int n = 0; n < s.n; ++n) {
    for (int o = 0; o < s.o; ++o) {
      const int g = o / og;
      for (int py = 0; py < oh; ++py) {
        for (int px = 0; px < ow; ++px) {
          double sum = s.bias ? float_layer.blobs()[1]->cpu_data()[o] : 0.0;
          for (int c = 0; c < cg; ++c) {
            for (int ky = 0; ky < s.k; ++ky) {
              for (int kx = 0; kx < s.k; ++kx) {
                const int yy = py * s.stride - s.pad + ky, xx = px * s.stride - s.pad + kx;
                if (yy < 0 || yy >= s.h || xx < 0 || xx >= s.w) continue;
                sum += double(wb.cpu_data()[((o * cg + c) * s.k + ky) * s.k + kx]) *
                       double(xq.cpu_data()[((n * s.c + g * cg + c) * s.h + yy) * s.w + xx]);
              }
            }
          }
          ref[((n * s.o + o) * oh + py) * ow + px] = sum;
        }
      }
    }
  }
  const Errors e = compare(ref, y_int, y_float);
  SCOPED_TRACE(conv_text(s));
  EXPECT_LE(e.integer, e.floating) << "integer " << e.integer << " float " << e.floating;
  // Only the final scaling (and the bias add) rounds: a few float ulps of the output scale.
  EXPECT_LE(e.integer, 4 * std::ldexp(e.scale, -23)) << "scale " << e.scale;
  // The binarized weights backward uses and the alphas agree bit for bit.
  const Blob& wb_int = int_layer.binarized_weights();
  for (int i = 0; i < wb.count(); ++i) ASSERT_EQ(wb_int.cpu_data()[i], wb.cpu_data()[i]);
  EXPECT_EQ(int_layer.alphas(), float_layer.alphas());

  // Backward is the float backward, bit for bit.
  test::fill_uniform(&y_int, 9);
  for (Blob* y : {&y_int, &y_float}) std::copy_n(y_int.cpu_data(), y_int.count(), y->mutable_cpu_diff());
  for (auto* layer : {&int_layer, &float_layer}) {
    for (auto& b : layer->blobs()) b->set_diff(0.f);
  }
  int_layer.forward({&xq}, {&y_int});
  float_layer.forward({&xq}, {&y_float});
  int_layer.backward({&y_int}, {true}, {&xq});
  const std::vector<float> dx_int(xq.cpu_diff(), xq.cpu_diff() + xq.count());
  float_layer.backward({&y_float}, {true}, {&xq});
  for (int i = 0; i < xq.count(); ++i) ASSERT_EQ(dx_int[i], xq.cpu_diff()[i]) << "bottom diff " << i;
  for (size_t b = 0; b < int_layer.blobs().size(); ++b) {
    for (int i = 0; i < int_layer.blobs()[b]->count(); ++i) {
      ASSERT_EQ(int_layer.blobs()[b]->cpu_diff()[i], float_layer.blobs()[b]->cpu_diff()[i]) << "param " << b;
    }
  }
}

TEST(IntegerBinaryForward, ConvolutionIsExactUpToTheFinalScaling) {
  const std::vector<float> paper = {0.538f, 1.076f, 1.614f};
  const std::vector<float> halves = {0.5f, 1.f, 1.5f};
  check_conv({paper, 2, 13, 9, 8, 7, 3, 1, 1, 1, true});
  check_conv({halves, 3, 6, 11, 10, 9, 5, 2, 2, 3, false});
  check_conv({paper, 1, 64, 7, 7, 33, 3, 1, 1, 1, true});
  check_conv({paper, 4, 17, 5, 6, 12, 1, 1, 0, 1, false});
  check_conv({{0.25f, 0.5f, 0.75f, 1.f, 1.25f, 1.5f, 1.75f}, 2, 20, 8, 8, 50, 3, 2, 0, 1, true});
}

void check_inner_product(const std::vector<float>& centers, int n, int k, int o, bool bias) {
  Blob x({n, k}), xq, y_int, y_float;
  quantized_input(centers, &x, &xq, 3 + k);
  const std::string text = "name: \"bfc\" type: \"BinaryInnerProduct\" inner_product_param { num_output: " +
                           std::to_string(o) + " bias_term: " + (bias ? "true" : "false") +
                           " weight_filler { type: \"gaussian\" std: 0.1 } } binary_inner_product_param { use_alpha: "
                           "true }";
  BinaryInnerProductLayer int_layer(layer_param(text)), float_layer(layer_param(text));
  int_layer.setup({&xq}, {&y_int});
  float_layer.setup({&xq}, {&y_float});
  for (size_t b = 0; b < int_layer.blobs().size(); ++b) {
    test::fill_gaussian(int_layer.blobs()[b].get(), 70 + b, 0.f, 0.1f);
    copy_data(*int_layer.blobs()[b], float_layer.blobs()[b].get());
  }
  int_layer.use_integer_forward(codes_for(centers));
  int_layer.forward({&xq}, {&y_int});
  float_layer.forward({&xq}, {&y_float});
  const Blob& wb = float_layer.binarized_weights();
  std::vector<double> ref(y_int.count());
  for (int r = 0; r < n; ++r) {
    for (int j = 0; j < o; ++j) {
      double sum = bias ? float_layer.blobs()[1]->cpu_data()[j] : 0.0;
      for (int i = 0; i < k; ++i) sum += double(wb.cpu_data()[j * k + i]) * double(xq.cpu_data()[r * k + i]);
      ref[r * o + j] = sum;
    }
  }
  const Errors e = compare(ref, y_int, y_float);
  EXPECT_LE(e.integer, e.floating) << n << "x" << k << " -> " << o;
  EXPECT_LE(e.integer, 4 * std::ldexp(e.scale, -23)) << n << "x" << k << " -> " << o;

  test::fill_uniform(&y_int, 4);
  std::copy_n(y_int.cpu_data(), y_int.count(), y_int.mutable_cpu_diff());
  std::copy_n(y_int.cpu_data(), y_int.count(), y_float.mutable_cpu_diff());
  for (auto* layer : {&int_layer, &float_layer}) {
    for (auto& b : layer->blobs()) b->set_diff(0.f);
  }
  int_layer.forward({&xq}, {&y_int});
  float_layer.forward({&xq}, {&y_float});
  int_layer.backward({&y_int}, {true}, {&xq});
  const std::vector<float> dx_int(xq.cpu_diff(), xq.cpu_diff() + xq.count());
  float_layer.backward({&y_float}, {true}, {&xq});
  for (int i = 0; i < xq.count(); ++i) ASSERT_EQ(dx_int[i], xq.cpu_diff()[i]);
  for (int i = 0; i < int_layer.blobs()[0]->count(); ++i) {
    ASSERT_EQ(int_layer.blobs()[0]->cpu_diff()[i], float_layer.blobs()[0]->cpu_diff()[i]);
  }
}

TEST(IntegerBinaryForward, InnerProductIsExactUpToTheFinalScaling) {
  check_inner_product({0.538f, 1.076f, 1.614f}, 5, 300, 17, true);
  check_inner_product({0.5f, 1.f, 1.5f}, 33, 1001, 10, false);
  check_inner_product({0.538f, 1.076f, 1.614f}, 1, 4096, 7, true);
}

TEST(IntegerBinaryForward, FallsBackToFloatOnAValueThatIsNoLevel) {
  const std::vector<float> centers = {0.538f, 1.076f, 1.614f};
  Blob x({2, 4, 5, 5}), xq, y_int, y_float;
  quantized_input(centers, &x, &xq, 2);
  xq.mutable_cpu_data()[7] = 0.3f;
  ConvCase s{centers, 2, 4, 5, 5, 3, 3, 1, 1, 1, true};
  BinaryConvolutionLayer int_layer(layer_param(conv_text(s))), float_layer(layer_param(conv_text(s)));
  int_layer.setup({&xq}, {&y_int});
  float_layer.setup({&xq}, {&y_float});
  for (size_t b = 0; b < 2; ++b) copy_data(*int_layer.blobs()[b], float_layer.blobs()[b].get());
  int_layer.use_integer_forward(codes_for(centers));
  int_layer.forward({&xq}, {&y_int});
  float_layer.forward({&xq}, {&y_float});
  for (int i = 0; i < y_int.count(); ++i) ASSERT_EQ(y_int.cpu_data()[i], y_float.cpu_data()[i]);
}

const char* kPassNet = R"(
name: "pass"
layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } } }
layer { name: "q" type: "Quant" bottom: "data" top: "q" quant_param { centers: 0.538 centers: 1.076 centers: 1.614 } }
layer { name: "direct" type: "BinaryConvolution" bottom: "q" top: "a" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "split_reader" type: "BinaryConvolution" bottom: "q" top: "b" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "opted_out" type: "BinaryConvolution" bottom: "q" top: "c" convolution_param { num_output: 4 kernel_size: 3 }
        binary_convolution_param { integer_forward: false } }
layer { name: "relu" type: "ReLU" bottom: "a" top: "a" }
layer { name: "after_relu" type: "BinaryConvolution" bottom: "a" top: "d" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "q2" type: "Quant" bottom: "b" top: "b" quant_param { centers: 0.453 centers: 1.51 } }
layer { name: "non_uniform" type: "BinaryConvolution" bottom: "b" top: "e" convolution_param { num_output: 4 kernel_size: 3 } }
layer { name: "q3" type: "Quant" bottom: "c" top: "c" quant_param { centers: 1 } }
layer { name: "fc" type: "BinaryInnerProduct" bottom: "c" top: "f" inner_product_param { num_output: 5 } }
layer { name: "fc_float_weights" type: "BinaryInnerProduct" bottom: "c" top: "g" inner_product_param { num_output: 5 }
        binary_inner_product_param { use_binarization: false } }
)";

bool conv_integer(const Net& net, const std::string& name) {
  return dynamic_cast<BinaryConvolutionLayer*>(net.layer_by_name(name))->integer_forward();
}
bool fc_integer(const Net& net, const std::string& name) {
  return dynamic_cast<BinaryInnerProductLayer*>(net.layer_by_name(name))->integer_forward();
}

TEST(IntegerBinaryForward, PassPicksBinaryLayersFedByUniformQuant) {
  for (Phase phase : {TRAIN, TEST}) {
    Net net(test::net_from_text(kPassNet), phase);
    EXPECT_EQ(apply_net_pass(net, "integer_binary_forward"), 3);
    EXPECT_TRUE(conv_integer(net, "direct"));
    EXPECT_TRUE(conv_integer(net, "split_reader"));  // through the Split of "q"
    EXPECT_FALSE(conv_integer(net, "opted_out"));
    EXPECT_FALSE(conv_integer(net, "after_relu"));
    EXPECT_FALSE(conv_integer(net, "non_uniform"));
    EXPECT_TRUE(fc_integer(net, "fc"));
    EXPECT_FALSE(fc_integer(net, "fc_float_weights"));
    // Applying it again changes nothing.
    EXPECT_EQ(apply_net_pass(net, "integer_binary_forward"), 0);
    test::fill_gaussian(net.input_blobs()[0], 1);
    net.forward();
  }
  NetParameter off = test::net_from_text(kPassNet);
  off.set_integer_binary_forward(false);
  Net net(off, TEST);
  EXPECT_EQ(apply_net_pass(net, "integer_binary_forward"), 0);
}

}  // namespace
}  // namespace hwgq
