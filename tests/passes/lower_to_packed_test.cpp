// Lowering to packed layers on small nets with odd shapes: the packed runtime computes
// what the float net computes (every Quant output identical, scores equal up to the float
// path's accumulation rounding), binary layers on float inputs expand exactly, the size
// report counts what it should, and what cannot be packed is refused by name.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hwgq/deploy/packed_runtime.hpp"
#include "hwgq/layers/packed_binary_convolution_layer.hpp"
#include "hwgq/layers/packed_binary_inner_product_layer.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/lower_to_packed.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

std::string quant(const std::string& name, const std::string& bottom, const std::string& top,
                  const std::string& centers, const std::string& extra = "") {
  return "layer { name: '" + name + "' type: 'Quant' bottom: '" + bottom + "' top: '" + top +
         "' quant_param { forward_func: 'hwgq' " + centers + " " + extra + " } }\n";
}
std::string batch_norm(const std::string& name, const std::string& blob) {
  return "layer { name: '" + name + "' type: 'BatchNorm' bottom: '" + blob + "' top: '" + blob +
         "' batch_norm_param { use_global_stats: true } }\n";
}

// Input -> binary conv on the float input -> BN -> Quant -> binary conv (odd channels,
// stride, pad, group, dilation) -> BN -> Quant -> binary fc -> BN -> Quant -> binary fc.
std::string net_text(const std::string& centers, int channels, int groups, int dilation) {
  const std::string c = std::to_string(channels);
  return "layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 3 dim: 3 dim: 11 dim: 10 } } }\n"
         "layer { name: 'c0' type: 'BinaryConvolution' bottom: 'x' top: 'c0' convolution_param { num_output: " + c +
         " kernel_size: 3 pad: 1 } binary_convolution_param { use_alpha: true } }\n" +
         batch_norm("bn0", "c0") + quant("q0", "c0", "a0", centers) +
         "layer { name: 'c1' type: 'BinaryConvolution' bottom: 'a0' top: 'c1' convolution_param { num_output: " +
         std::to_string(groups * 9) + " kernel_size: 3 pad: 2 stride: 2 group: " + std::to_string(groups) +
         " dilation: " + std::to_string(dilation) +
         " bias_term: true bias_filler { type: 'gaussian' std: 0.1 } } binary_convolution_param { use_alpha: true } }\n" +
         batch_norm("bn1", "c1") + quant("q1", "c1", "a1", centers) +
         "layer { name: 'f2' type: 'BinaryInnerProduct' bottom: 'a1' top: 'f2' param { lr_mult: 1 decay_mult: 0 } "
         "inner_product_param { num_output: 67 } "
         "binary_inner_product_param { use_alpha: true } }\n" +
         batch_norm("bn2", "f2") + quant("q2", "f2", "a2", centers) +
         "layer { name: 'f3' type: 'BinaryInnerProduct' bottom: 'a2' top: 'f3' inner_product_param { num_output: 10 "
         "bias_filler { type: 'gaussian' std: 0.1 } } binary_inner_product_param { use_alpha: false } }\n";
}

void fill(Blob* blob, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> gaussian(0.f, 1.f);
  for (int i = 0; i < blob->count(); ++i) blob->mutable_cpu_data()[i] = gaussian(rng);
}

void expect_packed_equals_float(const std::string& text, unsigned seed) {
  SCOPED_TRACE(text);
  const NetParameter model = test::net_from_text(text);
  NetBuildOptions options;
  options.phase = TEST;
  auto float_net = build_net(model, options);
  test::randomize_params(float_net.get(), 0.3f, seed);
  PackedModelReport report;
  const PackedModelProto packed = lower_to_packed(model, *float_net, &report);
  EXPECT_EQ(report.packed_layers(), 4);
  ASSERT_EQ(packed.packed_size(), 4);
  EXPECT_TRUE(packed.packed(0).float_input());  // c0 reads the raw input
  for (int i = 1; i < 4; ++i) EXPECT_FALSE(packed.packed(i).float_input());

  PackedRuntime runtime(packed, 0, "lowered");
  EXPECT_EQ(runtime.packed_layers(), 3);
  // c1 and f2 feed a BatchNorm folded into a Quant: they compute the Quant's output from
  // their accumulators (fuse_packed_quant); f3 is the last layer.
  int fused = 0;
  for (const auto& layer : runtime.net().layers()) {
    if (auto* conv = dynamic_cast<PackedBinaryConvolutionLayer*>(layer.get())) fused += conv->has_output_quant();
    if (auto* ip = dynamic_cast<PackedBinaryInnerProductLayer*>(layer.get())) fused += ip->has_output_quant();
  }
  EXPECT_EQ(fused, 2);
  fill(float_net->input_blobs()[0], seed + 100);
  std::copy_n(float_net->input_blobs()[0]->cpu_data(), runtime.input().count(), runtime.input().mutable_cpu_data());
  float_net->forward();
  runtime.forward();
  // c0 runs in float on both sides with the same alpha * sign weights: identical.
  const Blob& float_c0 = *float_net->blob_by_name("a0");
  const Blob& packed_c0 = *runtime.net().blob_by_name("a0");
  for (int i = 0; i < float_c0.count(); ++i) ASSERT_EQ(float_c0.cpu_data()[i], packed_c0.cpu_data()[i]) << i;
  // The later Quant outputs agree exactly (no value lands within rounding of a threshold
  // for these seeds), and the scores up to float accumulation: |diff| <= 1e-5 * sum |terms|.
  for (const char* blob : {"a1", "a2"}) {
    const Blob& a = *float_net->blob_by_name(blob);
    const Blob& b = *runtime.net().blob_by_name(blob);
    int differ = 0;
    for (int i = 0; i < a.count(); ++i) differ += a.cpu_data()[i] != b.cpu_data()[i];
    EXPECT_EQ(differ, 0) << blob;
  }
  const Blob& a = *float_net->blob_by_name("f3");
  const Blob& b = runtime.output();
  ASSERT_EQ(a.shape(), b.shape());
  // f3 has 67 inputs of at most q_K each, weights +-1, plus a bias.
  const float bound = 1e-5f * (67 * 2.f + 1.f);
  for (int i = 0; i < a.count(); ++i) EXPECT_NEAR(a.cpu_data()[i], b.cpu_data()[i], bound) << i;
}

TEST(LowerToPacked, UniformLevelsGiveTheFloatNetsOutputs) {
  expect_packed_equals_float(net_text("centers: 0.538 centers: 1.076 centers: 1.614", 13, 1, 1), 1);
  expect_packed_equals_float(net_text("centers: 0.538 centers: 1.076 centers: 1.614", 14, 2, 2), 2);
}

TEST(LowerToPacked, NonUniformAndSingleLevelsGiveTheFloatNetsOutputs) {
  expect_packed_equals_float(net_text("centers: 0.453 centers: 1.51", 13, 1, 1), 3);
  expect_packed_equals_float(net_text("centers: 0.3 centers: 0.9 centers: 1.2 centers: 2.5", 65, 1, 1), 4);
  expect_packed_equals_float(net_text("centers: 0.8", 14, 2, 1), 5);
}

TEST(LowerToPacked, ReportCountsBytesAndMacs) {
  const NetParameter model = test::net_from_text(net_text("centers: 0.538 centers: 1.076 centers: 1.614", 13, 1, 1));
  NetBuildOptions options;
  options.phase = TEST;
  auto net = build_net(model, options);
  PackedModelReport report;
  lower_to_packed(model, *net, &report);
  const PackedLayerReport* c1 = nullptr;
  for (const auto& row : report.layers) {
    if (row.name == "c1") c1 = &row;
  }
  ASSERT_TRUE(c1);
  // c1: 9 filters of 13 x 3 x 3 on an 11 x 10 input, pad 2, stride 2 -> 7 x 6 outputs.
  EXPECT_EQ(c1->macs, int64_t(9) * 7 * 6 * 13 * 3 * 3);
  EXPECT_EQ(c1->float_bytes, (9 * 13 * 3 * 3 + 9) * 4);
  // Bits: 2 blocks of 8 output lanes x 9 positions x 1 word, 8 bytes each; alpha and bias float.
  EXPECT_EQ(c1->stored_bytes, 2 * 8 * 9 * 8 + 9 * 4 + 9 * 4);
  EXPECT_TRUE(c1->popcount);
  EXPECT_EQ(report.packed_macs() + 0, report.macs() - report.layers.front().macs);  // all but c0
  EXPECT_NE(report.to_text().find("c1"), std::string::npos);
}

TEST(LowerToPacked, RefusesQuantizersItCannotRepresent) {
  for (const auto& [extra, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"negative_slope: 0.1", "negative_slope"}}) {
    std::string text = net_text("centers: 0.538 centers: 1.076 centers: 1.614", 13, 1, 1);
    text.replace(text.find("name: 'q1'"), 0, "");
    const std::string from = quant("q1", "c1", "a1", "centers: 0.538 centers: 1.076 centers: 1.614");
    text.replace(text.find(from), from.size(), quant("q1", "c1", "a1", "centers: 0.538 centers: 1.076 centers: 1.614", extra));
    const NetParameter model = test::net_from_text(text);
    NetBuildOptions options;
    options.phase = TEST;
    auto net = build_net(model, options);
    try {
      lower_to_packed(model, *net);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("\"f2\""), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
  // A sign quantizer feeding a binary layer.
  const NetParameter sign = test::net_from_text(
      "layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 1 dim: 4 } } }\n"
      "layer { name: 'q' type: 'Quant' bottom: 'x' top: 'y' quant_param { forward_func: 'sign' } }\n"
      "layer { name: 'fc' type: 'BinaryInnerProduct' bottom: 'y' top: 'z' inner_product_param { num_output: 2 } }\n");
  NetBuildOptions options;
  options.phase = TEST;
  auto net = build_net(sign, options);
  EXPECT_THROW(lower_to_packed(sign, *net), Error);
}

TEST(LowerToPacked, PackedWeightsFromAFileAreChecked) {
  PackedBinaryWeightsProto proto;
  proto.set_layer("c");
  proto.set_out_channels(3);
  proto.set_in_channels(5);
  proto.set_kernel_h(1);
  proto.set_kernel_w(1);
  proto.set_groups(1);
  proto.set_words_per_position(1);
  for (int i = 0; i < 3; ++i) proto.add_alpha(1.f);
  proto.set_sign_bits(std::string(8 * 8, '\0'));
  EXPECT_NO_THROW(packed_weights_from_proto(proto, "f"));
  PackedBinaryWeightsProto short_bits = proto;
  short_bits.set_sign_bits(std::string(7 * 8, '\0'));
  EXPECT_THROW(packed_weights_from_proto(short_bits, "f"), Error);
  PackedBinaryWeightsProto alphas = proto;
  alphas.add_alpha(1.f);
  EXPECT_THROW(packed_weights_from_proto(alphas, "f"), Error);
  PackedBinaryWeightsProto words = proto;
  words.set_words_per_position(2);
  EXPECT_THROW(packed_weights_from_proto(words, "f"), Error);
  PackedBinaryWeightsProto zero = proto;
  zero.set_kernel_h(0);
  EXPECT_THROW(packed_weights_from_proto(zero, "f"), Error);
  PackedBinaryWeightsProto nan = proto;
  nan.set_alpha(1, std::nanf(""));
  EXPECT_THROW(packed_weights_from_proto(nan, "f"), Error);
}

}  // namespace
}  // namespace hwgq
