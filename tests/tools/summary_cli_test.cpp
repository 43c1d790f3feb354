// `hwgq summary`: the table and JSON for a model, weights checked when given, and clear
// errors for a missing model, a bad format and weights that do not fit.
#include <gtest/gtest.h>

#include <string>

#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

// 1 x 2 x 5 x 5 -> conv 4x2x3x3 (binary, no bias) -> 4x3x3 -> hwgq 3 levels -> ip 10x36
// (binary, + bias). MACs: conv 3*3*4*2*3*3 = 648, ip 10*36 = 360, total 1,008; params
// 72 + 370 = 442. Packed: conv on the float input: 1 block * 9 taps * 1 word * 64 bytes =
// 576 + alpha 16 = 592 >= 72 * 4 = 288, so floats: 288. ip on 2-bit codes: 2 blocks * 1
// word * 64 = 128 + alpha 40 + bias 40 = 208. Packed total 496; float 1,768.
const char kNet[] = R"(name: "tiny"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 5 dim: 5 } } }
layer { name: "conv" type: "BinaryConvolution" bottom: "data" top: "conv"
        convolution_param { num_output: 4 kernel_size: 3 bias_term: false } }
layer { name: "quant" type: "Quant" bottom: "conv" top: "conv"
        quant_param { forward_func: "hwgq" centers: 0.538 centers: 1.076 centers: 1.614 } }
layer { name: "ip" type: "BinaryInnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 10 } }
)";

class SummaryCli : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_.file("tiny.prototxt");
    test::write_text(model_, kNet);
  }
  test::TempDir dir_;
  std::string model_;
};

TEST_F(SummaryCli, Table) {
  const auto result = run_hwgq("summary --model=" + model_);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("net \"tiny\", TEST phase, shapes at batch 1"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("parameters: 442\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("memory: 1,768 bytes as float32, 496 bytes packed"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("MACs per image: 1,008; with 1-bit weights 1,008 (100.00 %), of which on quantized "
                               "inputs (popcount once exported) 360 (35.71 %)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("1x4x3x3"), std::string::npos) << result.output;
}

TEST_F(SummaryCli, JsonWithBatch) {
  // stdout alone (the group's stderr, the log, is dropped), so scripts can parse it.
  const auto result = test::run_shell(std::string("{ cd ") + HWGQ_SOURCE_DIR + " && " + HWGQ_BINARY_PATH +
                                      " summary --model=" + model_ + " --format=json --batch=4 2>/dev/null; }");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  ASSERT_FALSE(result.output.empty());
  EXPECT_EQ(result.output.front(), '{') << result.output;
  EXPECT_EQ(result.output.substr(result.output.size() - 3), "}}\n") << result.output;
  EXPECT_NE(result.output.find("\"batch\": 4"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("{\"name\": \"ip\", \"type\": \"BinaryInnerProduct\", \"output_shapes\": [[4, 10]], "
                               "\"params\": 370, \"macs\": 360, \"weight_bits\": 1, \"activation_bits\": 2, "
                               "\"float_bytes\": 1480, \"packed_bytes\": 208"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("\"totals\": {\"params\": 442, \"macs\": 1008, \"binary_macs\": 1008, "
                               "\"popcount_macs\": 360"),
            std::string::npos)
      << result.output;
}

TEST_F(SummaryCli, WeightsAreChecked) {
  Net net(model_, TEST);
  NetParameter weights;
  net.to_proto(&weights);
  const std::string good = dir_.file("good.caffemodel");
  write_binary_proto(weights, good);
  auto result = run_hwgq("summary --model=" + model_ + " --weights=" + good);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("parameters: 442"), std::string::npos) << result.output;

  // conv's weights stored as 5 filters instead of 4: the load names the layer.
  for (auto& layer : *weights.mutable_layer()) {
    if (layer.name() == "conv") layer.mutable_blobs(0)->mutable_shape()->set_dim(0, 5);
  }
  const std::string bad = dir_.file("bad.caffemodel");
  write_binary_proto(weights, bad);
  result = run_hwgq("summary --model=" + model_ + " --weights=" + bad);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("conv"), std::string::npos) << result.output;
}

TEST_F(SummaryCli, Errors) {
  auto result = run_hwgq("summary --model=" + dir_.file("missing.prototxt"));
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("missing.prototxt"), std::string::npos) << result.output;

  result = run_hwgq("summary");
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("summary needs --model"), std::string::npos) << result.output;

  result = run_hwgq("summary --model=" + model_ + " --format=xml");
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("--format must be table or json"), std::string::npos) << result.output;

  const std::string broken = dir_.file("broken.prototxt");
  test::write_text(broken, "layer { name: \"x\" type: \"NoSuchLayer\" }\n");
  result = run_hwgq("summary --model=" + broken);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("Segmentation"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hwgq
