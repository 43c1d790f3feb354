// `hwgq test`: per-output means over N batches, or over the whole data source once with
// --iterations=0 (ceil(items / batch) batches, from Layer::source_size).
#include <gtest/gtest.h>

#include <string>

#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

// 10 images labelled i % 7; an inner product whose weights are zero and whose bias ranks
// the classes 0 > 1 > ... > 6, so every image is classified 0 and classes 0-4 are its top 5:
// over the set once, top-1 = 2/10 (labels 0 at images 0, 7) and top-5 = 8/10.
class TestVerb : public ::testing::Test {
 protected:
  void SetUp() override { lmdb_ = test::make_image_lmdb(dir_.path(), "val", 10, 8, 8, false, 7); }

  std::string write_net(int batch) {
    const std::string net = R"(name: "tiny"
layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }
        data_param { source: ")" + lmdb_ + R"(" batch_size: )" + std::to_string(batch) + R"( backend: LMDB } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 7 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
layer { name: "accuracy_top1" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy_top1" }
layer { name: "accuracy_top5" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy_top5"
        accuracy_param { top_k: 5 } }
)";
    const std::string path = dir_.file("net" + std::to_string(batch) + ".prototxt");
    test::write_text(path, net);
    return path;
  }

  std::string write_weights(const std::string& net_path) {
    Net net(net_path, TEST);
    Layer* ip = net.layer_by_name("ip");
    float* bias = ip->blobs()[1]->mutable_cpu_data();
    for (int c = 0; c < 7; ++c) bias[c] = 7.f - c;
    NetParameter weights;
    net.to_proto(&weights);
    write_binary_proto(weights, dir_.file("weights.caffemodel"));
    return dir_.file("weights.caffemodel");
  }

  test::TempDir dir_;
  std::string lmdb_;
};

TEST_F(TestVerb, IterationsZeroCoversTheSourceOnce) {
  const std::string net = write_net(5);
  const auto result =
      run_hwgq("test --model=" + net + " --weights=" + write_weights(net) + " --iterations=0");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("One pass over the 10 items of layer \"data\": 2 batches of 5"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("\naccuracy_top1 = 0.2\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("\naccuracy_top5 = 0.8\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("\nloss = "), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("repeats"), std::string::npos) << result.output;
}

// 10 items in batches of 4: 3 batches, the last one wrapping around to items 0 and 1,
// which the run says.
TEST_F(TestVerb, IterationsZeroWarnsWhenTheLastBatchWrapsAround) {
  const std::string net = write_net(4);
  const auto result =
      run_hwgq("test --model=" + net + " --weights=" + write_weights(net) + " --iterations=0");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("3 batches of 4"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("the last batch repeats 2 of the first items"), std::string::npos) << result.output;
  // Items 0-9, 0, 1: three of twelve have label 0.
  EXPECT_NE(result.output.find("\naccuracy_top1 = 0.25\n"), std::string::npos) << result.output;
}

TEST_F(TestVerb, IterationsNCountsBatches) {
  const std::string net = write_net(5);
  const auto result = run_hwgq("test --model=" + net + " --weights=" + write_weights(net) + " --iterations=1");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // Images 0-4: one label 0.
  EXPECT_NE(result.output.find("\naccuracy_top1 = 0.2\n"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("\naccuracy_top5 = 1\n"), std::string::npos) << result.output;
}

TEST_F(TestVerb, IterationsZeroNeedsADataLayer) {
  test::write_text(dir_.file("input.prototxt"), R"(
layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 2 } }
)");
  const auto result = run_hwgq("test --model=" + dir_.file("input.prototxt") + " --iterations=0");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("--iterations=0"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("give --iterations=N"), std::string::npos) << result.output;
}

TEST_F(TestVerb, NegativeIterationsAreRejected) {
  const auto result = run_hwgq("test --model=" + write_net(5) + " --iterations=-1");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("--iterations must be positive (or 0"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hwgq
