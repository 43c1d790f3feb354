// `hwgq histogram` and `hwgq quantizer --model` on a small trained-shaped net: both record
// what flows into the Quant layers (captured before an in-place layer overwrites it).
#include <gtest/gtest.h>

#include "hwgq/net.hpp"
#include "hwgq/passes/fold_batch_norm_quant.hpp"
#include "hwgq/quant/activation_recorder.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

std::string recorded_net(const test::TempDir& dir) {
  return R"(
layer { name: "data" type: "IdxData" top: "data" top: "label"
        idx_data_param { images: ")" + dir.file("images.idx") + R"(" labels: ")" + dir.file("labels.idx") + R"("
                         batch_size: 10 scale: 0.0039 } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
        inner_product_param { num_output: 16 weight_filler { type: "gaussian" std: 0.5 } } }
layer { name: "bn" type: "BatchNorm" bottom: "fc" top: "fc" }
layer { name: "q1" type: "Quant" bottom: "fc" top: "fc"
        quant_param { centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 } }
layer { name: "out" type: "InnerProduct" bottom: "fc" top: "out" inner_product_param { num_output: 3 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "out" bottom: "label" top: "loss" }
)";
}

class RecordedQuantizer : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_idx_pair(dir_.file("images.idx"), dir_.file("labels.idx"), 40, 5, 5, 3);
    test::write_text(dir_.file("net.prototxt"), recorded_net(dir_));
    Net net(dir_.file("net.prototxt"), TEST);
    // Running statistics of 1 per channel: the BatchNorm output is the raw inner product.
    Layer* bn = net.layer_by_name("bn");
    bn->blobs()[1]->set_data(1.f);
    bn->blobs()[2]->set_data(1.f);
    NetParameter weights;
    net.to_proto(&weights);
    write_binary_proto(weights, dir_.file("w.caffemodel"));
  }
  test::TempDir dir_;
};

TEST_F(RecordedQuantizer, RecorderCapturesInputsBeforeAnInPlaceQuant) {
  NetParameter param;
  read_text_proto(dir_.file("net.prototxt"), &param);
  param.set_fuse_batch_norm_quant(false);  // q1's bottom then holds the BatchNorm output
  Net net(param, TEST);
  net.copy_trained_layers_from(dir_.file("w.caffemodel"));
  const auto samples = record_layer_inputs(net, {"q1"}, 2);
  ASSERT_EQ(samples.at("q1").size(), 2u * 10 * 16);
  // Quantized values would only be 0 and the three centers; the inputs are continuous.
  int off_grid = 0;
  for (float v : samples.at("q1")) off_grid += v != 0.f && v != 0.538f && v != 1.076f && v != 1.614f;
  EXPECT_GT(off_grid, 300);
  EXPECT_THROW(record_layer_inputs(net, {"nope"}, 1), Error);
}

TEST_F(RecordedQuantizer, RecorderRefusesAQuantWithAFoldedBatchNorm) {
  Net net(dir_.file("net.prototxt"), TEST);
  ASSERT_EQ(fold_batch_norm_quant(net), 1);
  try {
    record_layer_inputs(net, {"q1"}, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fuse_batch_norm_quant: false"), std::string::npos) << e.what();
  }
}

TEST_F(RecordedQuantizer, HistogramWritesOneSvgPerQuantLayer) {
  const auto result = test::run_hwgq("histogram --model=" + dir_.file("net.prototxt") + " --weights=" +
                                     dir_.file("w.caffemodel") + " --iterations=2 --output=" + dir_.file("plots"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string svg = read_file(dir_.file("plots/q1.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST_F(RecordedQuantizer, QuantizerDesignsFromARecordedLayer) {
  const auto result = test::run_hwgq("quantizer --bits=2 --model=" + dir_.file("net.prototxt") + " --weights=" +
                                     dir_.file("w.caffemodel") + " --layer=q1 --iterations=2 --print_param");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("layer \"q1\" input"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("quant_param {"), std::string::npos) << result.output;
  const auto missing = test::run_hwgq("quantizer --model=" + dir_.file("net.prototxt"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("--layer"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace hwgq
