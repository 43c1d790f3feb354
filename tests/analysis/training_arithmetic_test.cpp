// count_training_arithmetic against a tiny net counted by hand.
#include "hwgq/analysis/training_arithmetic.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

namespace hwgq {
namespace {

// Batch 2 of 3 x 8 x 8 images:
//   conv1  Convolution 4 outputs, 3x3, pad 1 -> 4x8x8; per image 4*8*8 * 3*3*3 = 6,912 MACs
//   conv2  BinaryConvolution 4 outputs, 3x3, pad 1, group 2 -> 4x8x8;
//          per image 4*8*8 * (4/2)*3*3 = 4,608 MACs
//   fc     InnerProduct 5 outputs on 4*8*8 = 256 -> 5; per image 5*256 = 1,280 MACs
//   loss   SoftmaxWithLoss (no MACs)
// conv1 reads the data, which needs no gradient: no data gradient for it.
std::string tiny_net(const std::string& conv1_param, const std::string& fc_param) {
  return R"(
    name: "tiny"
    layer { name: "data" type: "Input" top: "data" top: "label"
            input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } shape { dim: 2 } } }
    layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" )" +
         conv1_param + R"(
            convolution_param { num_output: 4 kernel_size: 3 pad: 1 } }
    layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
    layer { name: "conv2" type: "BinaryConvolution" bottom: "conv1" top: "conv2"
            convolution_param { num_output: 4 kernel_size: 3 pad: 1 group: 2 } }
    layer { name: "fc" type: "InnerProduct" bottom: "conv2" top: "fc" )" +
         fc_param + R"(
            inner_product_param { num_output: 5 } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
  )";
}

constexpr int64_t kBatch = 2;
constexpr int64_t kConv1 = kBatch * 4 * 8 * 8 * 3 * 3 * 3;
constexpr int64_t kConv2 = kBatch * 4 * 8 * 8 * 2 * 3 * 3;
constexpr int64_t kFc = kBatch * 5 * 256;
static_assert(kConv1 == 13824 && kConv2 == 9216 && kFc == 2560, "hand count");

TEST(TrainingArithmetic, CountsForwardDataAndWeightGradients) {
  Net net(test::net_from_text(tiny_net("", "")), TRAIN);
  const TrainingArithmetic counted = count_training_arithmetic(net);
  ASSERT_EQ(counted.layers.size(), 3u);
  EXPECT_EQ(counted.layers[0].name, "conv1");
  EXPECT_EQ(counted.layers[0].layer, 1);
  EXPECT_EQ(counted.layers[0].forward_macs, kConv1);
  EXPECT_EQ(counted.layers[0].data_gradient_macs, 0);  // the data needs no gradient
  EXPECT_EQ(counted.layers[0].weight_gradient_macs, kConv1);
  EXPECT_EQ(counted.layers[1].name, "conv2");
  EXPECT_EQ(counted.layers[1].type, "BinaryConvolution");
  EXPECT_EQ(counted.layers[1].forward_macs, kConv2);
  EXPECT_EQ(counted.layers[1].data_gradient_macs, kConv2);
  EXPECT_EQ(counted.layers[1].weight_gradient_macs, kConv2);
  EXPECT_EQ(counted.layers[2].name, "fc");
  EXPECT_EQ(counted.layers[2].forward_macs, kFc);
  EXPECT_EQ(counted.layers[2].backward_macs(), 2 * kFc);

  EXPECT_EQ(counted.forward_macs(), kConv1 + kConv2 + kFc);
  EXPECT_EQ(counted.backward_macs(), kConv1 + 2 * kConv2 + 2 * kFc);
  EXPECT_EQ(counted.macs(), 2 * kConv1 + 3 * kConv2 + 3 * kFc);
  EXPECT_EQ(counted.flops(), 2 * (2 * kConv1 + 3 * kConv2 + 3 * kFc));
}

TEST(TrainingArithmetic, FrozenWeightsTakeNoGradient) {
  // conv1 frozen: nothing of it runs backward, so conv2's input needs no gradient either
  // (conv2 keeps its weight gradient). fc frozen (weights and bias): its data gradient is
  // still needed by conv2, its weight gradient is not.
  Net net(test::net_from_text(tiny_net("param { lr_mult: 0 } param { lr_mult: 0 }",
                                       "param { lr_mult: 0 } param { lr_mult: 0 }")),
          TRAIN);
  const TrainingArithmetic counted = count_training_arithmetic(net);
  ASSERT_EQ(counted.layers.size(), 3u);
  EXPECT_EQ(counted.layers[0].backward_macs(), 0);
  EXPECT_EQ(counted.layers[1].data_gradient_macs, 0);
  EXPECT_EQ(counted.layers[1].weight_gradient_macs, kConv2);
  EXPECT_EQ(counted.layers[2].data_gradient_macs, kFc);
  EXPECT_EQ(counted.layers[2].weight_gradient_macs, 0);
  EXPECT_EQ(counted.macs(), kConv1 + kConv2 + kFc + kConv2 + kFc);
}

TEST(TrainingArithmetic, TestPhaseNetWithoutLossRunsNoBackward) {
  Net net(test::net_from_text(R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 3 dim: 7 } } }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 2 } }
  )"),
          TEST);
  const TrainingArithmetic counted = count_training_arithmetic(net);
  ASSERT_EQ(counted.layers.size(), 1u);
  EXPECT_EQ(counted.forward_macs(), 3 * 2 * 7);
  EXPECT_EQ(counted.backward_macs(), 0);
}

}  // namespace
}  // namespace hwgq
