#include "hwgq/deploy/binary_weight_export.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char* const kBinaryNet = R"(
name: "tiny-hwgq"
layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 3 dim: 2 dim: 7 dim: 5 } } }
layer { name: "conv" type: "BinaryConvolution" bottom: "data" top: "conv"
        convolution_param { num_output: 4 kernel_size: 3 pad: 1 bias_term: false
                            weight_filler { type: "gaussian" std: 0.3 } }
        binary_convolution_param { use_alpha: true } }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" }
layer { name: "q" type: "Quant" bottom: "conv" top: "q"
        quant_param { centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 } }
layer { name: "fc" type: "BinaryInnerProduct" bottom: "q" top: "fc"
        inner_product_param { num_output: 6 weight_filler { type: "gaussian" std: 0.3 } }
        binary_inner_product_param { use_alpha: true } }
)";

// Gives the BatchNorm layer non-trivial stored statistics so TEST-phase outputs are spread.
void set_bn_statistics(Net& net) {
  Layer* bn = net.layer_by_name("bn");
  for (int c = 0; c < 4; ++c) {
    bn->blobs()[0]->mutable_cpu_data()[c] = 0.1f * c;
    bn->blobs()[1]->mutable_cpu_data()[c] = 0.5f + 0.2f * c;
  }
  bn->blobs()[2]->mutable_cpu_data()[0] = 1.f;
}

TEST(BinaryWeightExport, PlainLayersHoldAlphaSignWAndComputeTheSame) {
  const NetParameter model = test::net_from_text(kBinaryNet);
  Context::get().set_random_seed(4);
  Net trained(model, TEST);
  set_bn_statistics(trained);
  const BinarizedModel exported = binarize_model(model, trained);
  EXPECT_EQ(exported.binarized_layers, 2);
  EXPECT_EQ(exported.net.layer(1).type(), "Convolution");
  EXPECT_FALSE(exported.net.layer(1).has_binary_convolution_param());
  EXPECT_EQ(exported.net.layer(4).type(), "InnerProduct");

  // Each output filter holds exactly +alpha and -alpha, alpha = mean |W| of the real filter.
  const Blob* real = trained.layer_by_name("conv")->blobs()[0].get();
  const BlobProto& stored = exported.weights.layer(1).blobs(0);
  const int per_filter = real->count(1);
  for (int f = 0; f < 4; ++f) {
    double alpha = 0;
    for (int j = 0; j < per_filter; ++j) alpha += std::fabs(real->cpu_data()[f * per_filter + j]);
    alpha /= per_filter;
    std::set<float> values;
    for (int j = 0; j < per_filter; ++j) {
      const float w = real->cpu_data()[f * per_filter + j];
      const float b = stored.data(f * per_filter + j);
      values.insert(std::fabs(b));
      EXPECT_EQ(b >= 0, w >= 0);
      EXPECT_NEAR(std::fabs(b), alpha, 1e-6);
    }
    EXPECT_EQ(values.size(), 1u);
  }

  Net plain(exported.net, TEST);
  plain.copy_trained_layers_from(exported.weights);
  EXPECT_EQ(max_output_difference(trained, plain), 0.f);
  // The check can fail: perturbing one exported weight changes the outputs.
  plain.layer_by_name("fc")->blobs()[0]->mutable_cpu_data()[0] *= 1.5f;
  EXPECT_GT(max_output_difference(trained, plain), 0.f);
}

TEST(BinaryWeightExport, BinarizeVerbWritesDeployFilesAndChecksThem) {
  test::TempDir dir;
  test::write_text(dir.file("net.prototxt"), kBinaryNet);
  Context::get().set_random_seed(9);
  Net trained(test::net_from_text(kBinaryNet), TEST);
  set_bn_statistics(trained);
  NetParameter weights;
  trained.to_proto(&weights);
  write_binary_proto(weights, dir.file("trained.caffemodel"));
  const auto result = test::run_hwgq("binarize --model=" + dir.file("net.prototxt") +
                                     " --weights=" + dir.file("trained.caffemodel") + " --output=" + dir.file("deploy"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("binarized 2 layer(s)"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("max |original - binarized| = 0"), std::string::npos) << result.output;
  EXPECT_TRUE(file_exists(dir.file("deploy/net_bw.prototxt")));
  EXPECT_TRUE(file_exists(dir.file("deploy/trained_bw.caffemodel")));
}

TEST(BinaryWeightExport, BinarizeLeavesNothingBehindWhenItsCheckFails) {
  // A negative stored variance makes the BatchNorm outputs NaN, which no check can pass.
  test::TempDir dir;
  test::write_text(dir.file("net.prototxt"), R"(
    layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 2 dim: 6 } } }
    layer { name: "fc" type: "BinaryInnerProduct" bottom: "data" top: "fc"
            inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 } }
            binary_inner_product_param { use_alpha: true } }
    layer { name: "bn" type: "BatchNorm" bottom: "fc" top: "fc" })");
  Net net(dir.file("net.prototxt"), TEST);
  Layer* bn = net.layer_by_name("bn");
  bn->blobs()[1]->set_data(-4.f);
  bn->blobs()[2]->mutable_cpu_data()[0] = 1.f;
  NetParameter weights;
  net.to_proto(&weights);
  write_binary_proto(weights, dir.file("w.caffemodel"));
  const auto result = test::run_hwgq("binarize --model=" + dir.file("net.prototxt") + " --weights=" +
                                     dir.file("w.caffemodel") + " --output=" + dir.file("deploy"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("cannot be checked; nothing was written"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("deploy"))) << result.output;

  // Into a folder that already exists: the folder stays, with nothing in it.
  std::filesystem::create_directory(dir.file("existing"));
  const auto again = test::run_hwgq("binarize --model=" + dir.file("net.prototxt") + " --weights=" +
                                    dir.file("w.caffemodel") + " --output=" + dir.file("existing"));
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("existing"))) << again.output;
}

TEST(BinaryWeightExport, ModelWithoutBinaryLayersIsAnError) {
  test::TempDir dir;
  test::write_text(dir.file("net.prototxt"),
                   "layer { name: \"input\" type: \"Input\" top: \"data\" input_param { shape { dim: 1 dim: 3 } } }\n"
                   "layer { name: \"fc\" type: \"InnerProduct\" bottom: \"data\" top: \"fc\" "
                   "inner_product_param { num_output: 2 } }\n");
  Net net(dir.file("net.prototxt"), TEST);
  NetParameter weights;
  net.to_proto(&weights);
  write_binary_proto(weights, dir.file("w.caffemodel"));
  const auto result = test::run_hwgq("binarize --model=" + dir.file("net.prototxt") + " --weights=" +
                                     dir.file("w.caffemodel") + " --output=" + dir.file("out"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("has no BinaryConvolution or BinaryInnerProduct layer"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace hwgq
