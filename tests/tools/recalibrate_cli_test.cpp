// hwgq recalibrate: new weights with re-estimated BatchNorm statistics, clear errors.
#include <gtest/gtest.h>

#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

class RecalibrateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_idx_pair(dir_.file("images"), dir_.file("labels"), 6, 3, 3, 3);
    test::write_text(dir_.file("net.prototxt"), R"(
      layer { name: "data" type: "IdxData" top: "data" top: "label"
              idx_data_param { images: ")" + dir_.file("images") + R"(" labels: ")" + dir_.file("labels") +
                                                    R"(" batch_size: 3 shuffle: false } }
      layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" })");
    Net net(dir_.file("net.prototxt"), TRAIN);
    for (int i = 0; i < 3; ++i) net.layer_by_name("bn")->blobs()[i]->set_data(7.f);
    net.layer_by_name("ip")->blobs()[0]->set_data(0.25f);
    NetParameter weights;
    net.to_proto(&weights);
    write_binary_proto(weights, dir_.file("trained.caffemodel"));
  }

  test::TempDir dir_;
};

TEST_F(RecalibrateCli, WritesWeightsWithTheAverageOfTheBatches) {
  const auto result = test::run_hwgq("recalibrate --iterations=2 --model=" + dir_.file("net.prototxt") +
                                     " --weights=" + dir_.file("trained.caffemodel") +
                                     " --output=" + dir_.file("recalibrated.caffemodel"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("recalibrated 1 BatchNorm layer(s) over 2 batches"), std::string::npos)
      << result.output;
  NetParameter out;
  read_binary_proto(dir_.file("recalibrated.caffemodel"), &out);
  bool seen_bn = false;
  for (const auto& layer : out.layer()) {
    if (layer.name() == "bn") {
      seen_bn = true;
      // Two batches of three images cover all six once: the mean of the means is the mean
      // of every pixel (i * 7 + r * 3 + c) over i < 6, r, c < 3, which is 17.5 + 3 + 1 = 21.5.
      ASSERT_EQ(layer.blobs_size(), 3);
      EXPECT_FLOAT_EQ(layer.blobs(2).data(0), 2.f);
      EXPECT_NEAR(layer.blobs(0).data(0) / layer.blobs(2).data(0), 21.5, 1e-4);
    }
    // Weights pass through untouched.
    if (layer.name() == "ip") {
      EXPECT_FLOAT_EQ(layer.blobs(0).data(0), 0.25f);
    }
  }
  EXPECT_TRUE(seen_bn);
}

TEST_F(RecalibrateCli, MissingFlagsAndNetsWithoutBatchNormAreClearErrors) {
  auto recalibrate = [&](const std::string& flags) { return test::run_hwgq("recalibrate " + flags); };
  const std::string model = " --model=" + dir_.file("net.prototxt");
  const std::string weights = " --weights=" + dir_.file("trained.caffemodel");
  const std::string output = " --output=" + dir_.file("out.caffemodel");
  auto expect_error = [](const test::CommandResult& result, const std::string& text) {
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find(text), std::string::npos) << result.output;
  };
  expect_error(recalibrate(weights + output + " --iterations=2"), "needs --model");
  expect_error(recalibrate(model + output + " --iterations=2"), "needs --weights");
  expect_error(recalibrate(model + weights + " --iterations=2"), "needs --output");
  expect_error(recalibrate(model + weights + output + " --iterations=0"), "must be positive");

  test::write_text(dir_.file("plain.prototxt"), R"(
      layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 2 dim: 9 } } }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } })");
  expect_error(recalibrate("--model=" + dir_.file("plain.prototxt") + weights + output + " --iterations=2"),
               "has no BatchNorm layer");
}

}  // namespace
}  // namespace hwgq
