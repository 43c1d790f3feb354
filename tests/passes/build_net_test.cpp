// build_net: model, weights, phase and graph passes in one call, as every tool builds nets.
#include <gtest/gtest.h>

#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char* kBatchNormQuantNet = R"(
layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 2 dim: 3 dim: 2 dim: 2 } } }
layer { name: 'bn' type: 'BatchNorm' bottom: 'x' top: 'x' batch_norm_param { use_global_stats: true } }
layer { name: 'q' type: 'Quant' bottom: 'x' top: 'y' quant_param { centers: 0.538 centers: 1.076 centers: 1.614 } }
)";

bool quant_fused(const Net& net) { return dynamic_cast<const QuantLayer&>(*net.layer_by_name("q")).fused(); }

TEST(BuildNet, AppliesThePassesTheCallerAsksFor) {
  const NetParameter model = test::net_from_text(kBatchNormQuantNet);
  NetBuildOptions plain;
  plain.phase = TEST;
  EXPECT_FALSE(quant_fused(*build_net(model, plain)));
  EXPECT_TRUE(quant_fused(*build_net(model, inference_options())));
  NetBuildOptions explicit_pass = plain;
  explicit_pass.passes = {"fold_batch_norm_quant"};
  EXPECT_TRUE(quant_fused(*build_net(model, explicit_pass)));
}

TEST(BuildNet, FoldingNeverAppliesToTrainingNets) {
  NetBuildOptions options = inference_options();
  options.phase = TRAIN;
  const NetParameter model = test::net_from_text(kBatchNormQuantNet);
  const auto net = build_net(model, options);
  EXPECT_FALSE(quant_fused(*net));
  EXPECT_EQ(apply_net_pass(*net, "fold_batch_norm_quant"), 0);
}

TEST(BuildNet, BatchSizeAndWeightsAreApplied) {
  test::TempDir dir;
  const NetParameter model = test::net_from_text(kBatchNormQuantNet);
  NetBuildOptions options = inference_options();
  auto net = build_net(model, options);
  net->layer_by_name("bn")->blobs()[0]->mutable_cpu_data()[1] = 0.25f;
  NetParameter weights;
  net->to_proto(&weights);
  write_binary_proto(weights, dir.file("w.caffemodel"));
  write_text_proto(model, dir.file("net.prototxt"));

  options.weights = {dir.file("w.caffemodel")};
  options.batch_size = 5;
  const auto loaded = build_net(dir.file("net.prototxt"), options);
  EXPECT_EQ(loaded->blob_by_name("x")->shape(0), 5);
  EXPECT_EQ(loaded->layer_by_name("bn")->blobs()[0]->cpu_data()[1], 0.25f);
  options.batch_size = -1;
  EXPECT_THROW(build_net(model, options), Error);
}

TEST(BuildNet, UnknownPassIsAnErrorListingTheKnownOnes) {
  NetBuildOptions options = inference_options();
  options.passes.push_back("no_such_pass");
  try {
    build_net(test::net_from_text(kBatchNormQuantNet), options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_pass"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fold_batch_norm_quant"), std::string::npos) << e.what();
  }
}

TEST(BuildNet, ForwardOnlyIsRefusedWhenTheNetForcesBackward) {
  NetParameter model = test::net_from_text(kBatchNormQuantNet);
  model.set_force_backward(true);
  Net net(model, TEST);
  EXPECT_EQ(apply_net_pass(net, "fold_batch_norm_quant"), 0);
  EXPECT_THROW(net.set_forward_only(1), Error);
}

}  // namespace
}  // namespace hwgq
