// summarize_net against counts done by hand for the Fashion-MNIST LeNets and AlexNet-HWGQ,
// and its packed sizes against what `hwgq export`'s lowering reports for the same net.
#include "hwgq/analysis/net_summary.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/lower_to_packed.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char kFashionTest[] = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

std::string source_path(const std::string& relative) { return std::string(HWGQ_SOURCE_DIR) + "/" + relative; }

std::map<std::string, LayerSummary> by_name(const NetSummary& summary) {
  std::map<std::string, LayerSummary> rows;
  for (const auto& row : summary.layers) rows[row.name] = row;
  return rows;
}

// LeNet on 1 x 28 x 28 (both variants have the same shapes and blobs):
//   conv1  20x1x5x5 = 500 weights, out 24x24x20: MACs = 24*24*20*1*5*5 =   288,000
//   pool1  -> 12x12x20;  bn1: mean 20 + variance 20 + normaliser 1 = 41 values
//   conv2  50x20x5x5 = 25,000, out 8x8x50:     MACs = 8*8*50*20*5*5 = 1,600,000
//   pool2  -> 4x4x50 = 800;  bn2: 50 + 50 + 1 = 101
//   ip1    500x800 = 400,000:                   MACs =   400,000
//   bn3    500 + 500 + 1 = 1,001
//   ip2    10x500 + bias 10 = 5,010:            MACs =     5,000
// params = 500 + 41 + 25,000 + 101 + 400,000 + 1,001 + 5,010 = 431,653
// MACs   = 288,000 + 1,600,000 + 400,000 + 5,000           = 2,293,000
constexpr int64_t kLeNetParams = 500 + 41 + 25000 + 101 + 400000 + 1001 + 5010;
constexpr int64_t kLeNetMacs = 24 * 24 * 20 * 1 * 5 * 5 + 8 * 8 * 50 * 20 * 5 * 5 + 500 * 800 + 10 * 500;
static_assert(kLeNetParams == 431653 && kLeNetMacs == 2293000, "hand count");

std::unique_ptr<Net> build_test_net(const std::string& path, int batch = 0) {
  NetBuildOptions options;
  options.phase = TEST;
  options.batch_size = batch;
  return build_net(path, options);
}

TEST(NetSummary, FashionMnistLeNetFloat) {
  if (!std::filesystem::exists(kFashionTest)) GTEST_SKIP() << kFashionTest << " is absent";
  const auto net = build_test_net(source_path("models/fashion_mnist/lenet/train_val.prototxt"));
  const NetSummary summary = summarize_net(*net);
  EXPECT_EQ(summary.batch, 100);  // the TEST data layer's batch
  EXPECT_EQ(summary.params(), kLeNetParams);
  EXPECT_EQ(summary.macs(), kLeNetMacs);
  EXPECT_EQ(summary.binary_macs(), 0);
  EXPECT_EQ(summary.float_bytes(), kLeNetParams * 4);
  EXPECT_EQ(summary.packed_bytes(), kLeNetParams * 4);  // nothing binary: export stores floats

  auto rows = by_name(summary);
  EXPECT_EQ(rows["conv1"].output_shapes, (std::vector<std::vector<int>>{{100, 20, 24, 24}}));
  EXPECT_EQ(rows["pool2"].output_shapes, (std::vector<std::vector<int>>{{100, 50, 4, 4}}));
  EXPECT_EQ(rows["conv1"].macs, 288000);
  EXPECT_EQ(rows["conv2"].macs, 1600000);
  EXPECT_EQ(rows["conv2"].params, 25000);
  EXPECT_EQ(rows["bn1"].params, 41);
  EXPECT_EQ(rows["bn1"].macs, 0);
  EXPECT_EQ(rows["ip2"].params, 5010);
  EXPECT_EQ(rows["conv2"].weight_bits, 32);
  EXPECT_EQ(rows["conv2"].activation_bits, 32);
  EXPECT_EQ(rows["pool1"].weight_bits, 0);
  // The data layer has no input; the accuracy reads two.
  EXPECT_EQ(rows["fashion_mnist"].activation_bits, 0);
  EXPECT_EQ(rows["fashion_mnist"].output_shapes.size(), 2u);
  EXPECT_NE(summary.to_table().find("scalar"), std::string::npos);  // the loss and accuracy tops
}

// LeNet-HWGQ: every conv / ip binary (1-bit weights + 1 float alpha per output channel),
// 2-bit activations (3 hwgq levels + 0 = 4 codes) into conv2, ip1, ip2. Packed sizes in
// the export layout (outputs in blocks of 8 lanes, inputs in 64-bit words per kernel tap):
//   conv1 (float input): 3 blocks * 25 taps * 1 word * 8 lanes * 8 bytes = 4,800 + alpha 80
//         = 4,880 >= 500 floats * 4 = 2,000, so export stores the 2,000 bytes of floats
//   conv2: 7 blocks * 25 taps * 1 word (20 ch) * 8 * 8 = 11,200 + alpha 200 = 11,400
//   ip1:   63 blocks * 13 words (800 in) * 8 * 8 = 52,416 + alpha 2,000 = 54,416
//   ip2:   2 blocks * 8 words (500 in) * 8 * 8 = 1,024 + alpha 40 + bias 40 = 1,104
//   BatchNorm: (41 + 101 + 1,001) * 4 = 4,572
// packed = 2,000 + 11,400 + 54,416 + 1,104 + 4,572 = 73,492
// MACs with 1-bit weights: all 2,293,000 (100 %); on quantized inputs (conv2, ip1, ip2):
// 1,600,000 + 400,000 + 5,000 = 2,005,000 = 87.44 %.
TEST(NetSummary, FashionMnistLeNetHwgq) {
  if (!std::filesystem::exists(kFashionTest)) GTEST_SKIP() << kFashionTest << " is absent";
  const auto net = build_test_net(source_path("models/fashion_mnist/lenet-hwgq-clipped/train_val.prototxt"));
  const NetSummary summary = summarize_net(*net);
  EXPECT_EQ(summary.params(), kLeNetParams);
  EXPECT_EQ(summary.macs(), kLeNetMacs);
  EXPECT_EQ(summary.binary_macs(), kLeNetMacs);
  EXPECT_DOUBLE_EQ(summary.binary_mac_share(), 100.0);
  EXPECT_EQ(summary.popcount_macs(), 2005000);
  EXPECT_NEAR(summary.popcount_mac_share(), 100.0 * 2005000 / 2293000, 1e-9);
  EXPECT_EQ(summary.float_bytes(), kLeNetParams * 4);
  EXPECT_EQ(summary.packed_bytes(), 73492);

  auto rows = by_name(summary);
  EXPECT_EQ(rows["conv1"].weight_bits, 1);
  EXPECT_EQ(rows["conv1"].activation_bits, 32);  // raw pixels
  EXPECT_FALSE(rows["conv1"].quantized_input);
  EXPECT_EQ(rows["conv1"].packed_bytes, 2000);
  EXPECT_EQ(rows["conv2"].activation_bits, 2);  // quant1 works in place on pool1
  EXPECT_TRUE(rows["conv2"].quantized_input);
  EXPECT_EQ(rows["conv2"].packed_bytes, 11400);
  EXPECT_EQ(rows["ip1"].packed_bytes, 54416);
  EXPECT_EQ(rows["ip2"].packed_bytes, 1104);
  EXPECT_EQ(rows["quant1"].params, 0);
  EXPECT_EQ(rows["quant1"].activation_bits, 32);  // the BatchNorm output it quantizes
}

// The packed sizes are what export's lowering stores, layer for layer.
TEST(NetSummary, PackedBytesMatchExportLowering) {
  if (!std::filesystem::exists(kFashionTest)) GTEST_SKIP() << kFashionTest << " is absent";
  const auto net = build_test_net(source_path("models/fashion_mnist/lenet-hwgq-clipped/train_val.prototxt"), 2);
  test::randomize_params(net.get());
  PackedModelReport report;
  lower_to_packed(net->definition(), *net, &report);
  auto rows = by_name(summarize_net(*net));
  ASSERT_FALSE(report.layers.empty());
  for (const auto& exported : report.layers) {
    EXPECT_EQ(rows[exported.name].packed_bytes, exported.stored_bytes) << exported.name;
    EXPECT_EQ(rows[exported.name].float_bytes, exported.float_bytes) << exported.name;
    EXPECT_EQ(rows[exported.name].macs, exported.macs) << exported.name;
  }
}

// AlexNet-HWGQ on 3 x 227 x 227, no groups; conv1 and fc8 full precision, the rest binary
// with 2-bit inputs. Per layer (params; MACs = out_h*out_w*out_c*in_c*k_h*k_w):
//   conv1 96x3x11x11   =     34,848; 55x55 (stride 4): 55*55*96*3*11*11    = 105,415,200
//   pool1 -> 27x27;  bn 96:  193
//   conv2 256x96x5x5   =    614,400; 27x27 (pad 2):    27*27*256*96*5*5    = 447,897,600
//   pool2 -> 13x13;  bn 256: 513
//   conv3 384x256x3x3  =    884,736; 13x13:            13*13*384*256*3*3   = 149,520,384
//   bn 384: 769
//   conv4 384x384x3x3  =  1,327,104; 13*13*384*384*3*3                     = 224,280,576
//   bn 384: 769
//   conv5 256x384x3x3  =    884,736; 13*13*256*384*3*3                     = 149,520,384
//   pool5 -> 6x6x256 = 9,216;  bn 256: 513
//   fc6   4096x9216    = 37,748,736;                                          37,748,736
//   bn 4096: 8,193
//   fc7   4096x4096    = 16,777,216;                                          16,777,216
//   bn 4096: 8,193
//   fc8   1000x4096 + 1000 bias = 4,097,000;                                   4,096,000
// params = 62,368,776 (conv/fc) + 19,143 (BatchNorm) = 62,387,919
// MACs   = 1,135,256,096; with 1-bit weights (conv2-5, fc6, fc7) 1,025,744,896 = 90.35 %
// Packed (8-lane blocks x taps x 64-channel words x 8 lanes x 8 bytes + 4-byte alphas):
//   conv2 32*25*2*64 = 102,400 + 1,024 = 103,424     conv3 48*9*4*64 = 110,592 + 1,536 = 112,128
//   conv4 48*9*6*64  = 165,888 + 1,536 = 167,424     conv5 32*9*6*64 = 110,592 + 1,024 = 111,616
//   fc6 512*144*64 = 4,718,592 + 16,384 = 4,734,976  fc7 512*64*64 = 2,097,152 + 16,384 = 2,113,536
//   floats: conv1 139,392 + fc8 16,388,000 + BatchNorm 76,572
// packed = 7,343,104 + 16,603,964 = 23,947,068 bytes (float: 249,551,676)
void expect_alexnet_hwgq_counts(const NetSummary& summary) {
  constexpr int64_t conv_fc_params = 96LL * 3 * 11 * 11 + 256LL * 96 * 5 * 5 + 384LL * 256 * 3 * 3 +
                                     384LL * 384 * 3 * 3 + 256LL * 384 * 3 * 3 + 4096LL * 9216 + 4096LL * 4096 +
                                     1000LL * 4096 + 1000;
  constexpr int64_t bn_params = (2 * 96 + 1) + (2 * 256 + 1) + 2 * (2 * 384 + 1) + (2 * 256 + 1) + 2 * (2 * 4096 + 1);
  static_assert(conv_fc_params == 62368776 && bn_params == 19143, "hand count");
  constexpr int64_t conv1 = 55LL * 55 * 96 * 3 * 11 * 11;
  static_assert(conv1 == 105415200, "hand count");
  constexpr int64_t binary = 27LL * 27 * 256 * 96 * 5 * 5 + 13LL * 13 * 384 * 256 * 3 * 3 +
                             13LL * 13 * 384 * 384 * 3 * 3 + 13LL * 13 * 256 * 384 * 3 * 3 + 4096LL * 9216 +
                             4096LL * 4096;
  constexpr int64_t fc8 = 1000LL * 4096;
  static_assert(conv1 + binary + fc8 == 1135256096, "hand count");

  EXPECT_EQ(summary.params(), conv_fc_params + bn_params);
  EXPECT_EQ(summary.macs(), conv1 + binary + fc8);
  EXPECT_EQ(summary.binary_macs(), binary);
  EXPECT_EQ(summary.popcount_macs(), binary);
  EXPECT_NEAR(summary.binary_mac_share(), 90.3530, 1e-3);
  EXPECT_EQ(summary.float_bytes(), (conv_fc_params + bn_params) * 4);
  EXPECT_EQ(summary.packed_bytes(), 23947068);

  int binary_layers = 0;
  for (const auto& row : summary.layers) {
    if (!row.binary_weights) continue;
    ++binary_layers;
    EXPECT_EQ(row.weight_bits, 1) << row.name;
    EXPECT_EQ(row.activation_bits, 2) << row.name;
    EXPECT_TRUE(row.quantized_input) << row.name;
  }
  EXPECT_EQ(binary_layers, 6);
}

TEST(NetSummary, AuthorsAlexNetHwgq) {
  const std::string reference = test::reference_dir();
  if (reference.empty()) GTEST_SKIP() << "the authors' files are not at hand";
  // Batch 1 instead of the file's 50 keeps the activations small; counts are per image.
  const auto net = build_test_net(reference + "/imagenet/alex-hwgq-3ne-clip-poly-320k/deploy.prototxt", 1);
  const NetSummary summary = summarize_net(*net);
  EXPECT_EQ(summary.batch, 1);
  expect_alexnet_hwgq_counts(summary);
  auto rows = by_name(summary);
  EXPECT_EQ(rows["conv1"].macs, 105415200);
  EXPECT_EQ(rows["conv1"].output_shapes, (std::vector<std::vector<int>>{{1, 96, 55, 55}}));
  EXPECT_EQ(rows["conv1"].activation_bits, 32);
  EXPECT_EQ(rows["fc8"].weight_bits, 32);
  EXPECT_EQ(rows["fc8"].activation_bits, 32);  // after fc7's BatchNorm + ReLU, not a Quant
}

TEST(NetSummary, AlexNetHwgqInRepository) {
  const auto net = build_test_net(source_path("models/imagenet/alexnet/hwgq/deploy.prototxt"));
  expect_alexnet_hwgq_counts(summarize_net(*net));
}

TEST(NetSummary, GroupedConvolutionAndJson) {
  // 8 -> 16 channels in 2 groups of 3x3 on 6x6 (pad 1): 6*6*16*(8/2)*3*3 = 20,736 MACs;
  // weights 16x4x3x3 = 576 + bias 16. Binary on a float input: 2 groups * 1 block * 9 taps
  // * 1 word * 8 lanes * 8 bytes = 1,152 + alpha 64 = 1,216 < 576 * 4 = 2,304, so the sign
  // bits are stored: 1,216 + bias 64 = 1,280.
  const NetParameter param = test::net_from_text(R"(name: "g\"rouped"
    layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 3 dim: 8 dim: 6 dim: 6 } } }
    layer { name: "conv" type: "BinaryConvolution" bottom: "x" top: "y"
            convolution_param { num_output: 16 kernel_size: 3 pad: 1 group: 2 } })");
  Net net(param, TEST);
  const NetSummary summary = summarize_net(net);
  ASSERT_EQ(summary.layers.size(), 2u);
  const LayerSummary& conv = summary.layers[1];
  EXPECT_EQ(summary.batch, 3);
  EXPECT_EQ(conv.macs, 20736);
  EXPECT_EQ(conv.params, 592);
  EXPECT_EQ(conv.packed_bytes, 1280);
  EXPECT_EQ(conv.activation_bits, 32);
  EXPECT_FALSE(conv.quantized_input);
  const std::string json = summary.to_json();
  EXPECT_NE(json.find("\"name\": \"g\\\"rouped\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"output_shapes\": [[3, 16, 6, 6]], \"params\": 592, \"macs\": 20736"), std::string::npos)
      << json;
  EXPECT_NE(json.find("\"binary_mac_share\": 100,"), std::string::npos) << json;
}

TEST(NetSummary, SignAndReluQuantBits) {
  // sign: 2 values -> 1 bit; hwgq with 7 levels + 0 -> 3 bits; relu forward: not quantized.
  const NetParameter param = test::net_from_text(R"(name: "bits"
    layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 4 } } }
    layer { name: "q_sign" type: "Quant" bottom: "x" top: "s" quant_param { forward_func: "sign" } }
    layer { name: "ip_sign" type: "BinaryInnerProduct" bottom: "s" top: "a" inner_product_param { num_output: 2 } }
    layer { name: "q3" type: "Quant" bottom: "x" top: "t"
            quant_param { forward_func: "hwgq" centers: 1 centers: 2 centers: 3 centers: 4 centers: 5 centers: 6
                          centers: 7 } }
    layer { name: "ip3" type: "BinaryInnerProduct" bottom: "t" top: "b" inner_product_param { num_output: 2 } }
    layer { name: "q_relu" type: "Quant" bottom: "x" top: "r" quant_param { forward_func: "relu" } }
    layer { name: "ip_relu" type: "InnerProduct" bottom: "r" top: "c" inner_product_param { num_output: 2 } })");
  Net net(param, TEST);
  auto rows = by_name(summarize_net(net));
  EXPECT_EQ(rows["ip_sign"].activation_bits, 1);
  EXPECT_FALSE(rows["ip_sign"].quantized_input);  // export packs hwgq codes only
  EXPECT_EQ(rows["ip3"].activation_bits, 3);
  EXPECT_TRUE(rows["ip3"].quantized_input);
  EXPECT_EQ(rows["ip_relu"].activation_bits, 32);
  EXPECT_EQ(rows["ip_relu"].weight_bits, 32);
  EXPECT_EQ(rows["ip3"].macs, 8);
}

}  // namespace
}  // namespace hwgq
