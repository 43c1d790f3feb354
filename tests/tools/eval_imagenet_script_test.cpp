// scripts/eval_imagenet.sh: argument handling, the commands of a dry run, and one real
// run on a stand-in for ImageNet (a few JPEGs and a tiny net that reads the documented
// validation LMDB path).
#include <gtest/gtest.h>


#include <cstdio>
#include <filesystem>
#include <string>

#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const std::string kScript = HWGQ_SOURCE_DIR "/scripts/eval_imagenet.sh";

// Runs the script with `arguments` (shell-quoted) from `cwd`, stdout and stderr together.
test::CommandResult run_script(const std::string& arguments, const std::string& cwd = HWGQ_SOURCE_DIR) {
  return test::run_shell("cd " + cwd + " && bash " + kScript + " " + arguments);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class EvalImagenetScript : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = HWGQ_SOURCE_DIR "/models/imagenet/resnet18/hwgq";
    weights_ = dir_.file("w.caffemodel");
    test::write_text(weights_, "");
    test::write_text(dir_.file("val.txt"), "a.JPEG 0\n");
  }
  test::TempDir dir_;
  std::string model_, weights_;
};

TEST_F(EvalImagenetScript, HelpAndUsage) {
  auto result = run_script("--help");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "usage: scripts/eval_imagenet.sh [options] MODEL_DIR WEIGHTS"));
  EXPECT_TRUE(contains(result.output, "--val-dir=DIR"));

  result = run_script("");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.output, "expected MODEL_DIR and WEIGHTS, got 0")) << result.output;
  EXPECT_TRUE(contains(result.output, "usage:")) << result.output;

  result = run_script("--frobnicate " + model_ + " " + weights_);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.output, "unknown option --frobnicate")) << result.output;

  result = run_script(model_ + " " + weights_ + " extra");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(contains(result.output, "got 3 argument(s)")) << result.output;
}

TEST_F(EvalImagenetScript, BadArguments) {
  auto result = run_script(dir_.path() + " " + weights_);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.output, "no train_val.prototxt in " + dir_.path())) << result.output;

  result = run_script(model_ + " " + dir_.file("absent.caffemodel"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.output, "weights " + dir_.file("absent.caffemodel") + " not found")) << result.output;

  const std::string absent_lmdb = " --lmdb=" + dir_.file("val_lmdb") + " ";
  result = run_script(absent_lmdb + model_ + " " + weights_);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.output, "give --val-dir and --val-list")) << result.output;

  result = run_script(absent_lmdb + "--val-dir=" + dir_.file("nowhere") + " --val-list=" + dir_.file("val.txt") + " " +
                      model_ + " " + weights_);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.output, "is not a folder")) << result.output;

  result = run_script(absent_lmdb + "--val-dir=" + dir_.path() + " --val-list=" + dir_.file("nolist.txt") + " " +
                      model_ + " " + weights_);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.output, "--val-list " + dir_.file("nolist.txt") + " not found")) << result.output;

  result = run_script("--gpu=first --dry-run --lmdb=" + dir_.path() + " " + model_ + " " + weights_);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.output, "--gpu must be a GPU number")) << result.output;

  result = run_script("--hwgq=" + dir_.file("nohwgq") + " --lmdb=" + dir_.path() + " " + model_ + " " + weights_);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.output, "is not an executable hwgq tool")) << result.output;
}

TEST_F(EvalImagenetScript, DryRunPrintsTheCommands) {
  const std::string lmdb = dir_.file("val_lmdb");
  const auto result = run_script("--dry-run --val-dir=" + dir_.path() + " --val-list=" + dir_.file("val.txt") +
                                 " --lmdb=" + lmdb + " --mean=" + dir_.file("mean.binaryproto") + " --gpu=1 " +
                                 model_ + " " + weights_);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto convert = result.output.find("convert_imageset --resize_height=256 --resize_width=256 " + dir_.path() +
                                          "/ " + dir_.file("val.txt") + " " + lmdb);
  const auto mean = result.output.find("compute_image_mean " + lmdb + " " + dir_.file("mean.binaryproto"));
  const auto test = result.output.find(" test --model=");
  ASSERT_NE(convert, std::string::npos) << result.output;
  ASSERT_NE(mean, std::string::npos) << result.output;
  ASSERT_NE(test, std::string::npos) << result.output;
  EXPECT_LT(convert, mean);
  EXPECT_LT(mean, test);
  EXPECT_TRUE(contains(result.output, "--weights=" + weights_ + " --iterations=0 --gpu=1")) << result.output;
  EXPECT_FALSE(std::filesystem::exists(lmdb)) << "a dry run writes nothing";

  // An LMDB that exists is used as it is.
  std::filesystem::create_directory(lmdb);
  const auto again = run_script("--dry-run --val-dir=" + dir_.path() + " --val-list=" + dir_.file("val.txt") +
                                " --lmdb=" + lmdb + " " + model_ + " " + weights_);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_FALSE(contains(again.output, "convert_imageset")) << again.output;
  EXPECT_TRUE(contains(again.output, "exists; using it as it is")) << again.output;
}

// The whole run on six JPEGs: the LMDB is built at 256x256, a net naming the documented
// path reads it through the script's copy, and top-1 / top-5 come out.
TEST_F(EvalImagenetScript, EvaluatesAStandInSet) {
  test::make_image_lmdb(dir_.path(), "val", 6, 64, 80, false, 6);  // for val_images/ and val_list.txt
  std::filesystem::create_directory(dir_.file("model"));
  test::write_text(dir_.file("model/train_val.prototxt"), R"(name: "stand-in"
layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }
        transform_param { crop_size: 224 mean_value: 104 mean_value: 117 mean_value: 123 }
        data_param { source: "data/imagenet/ilsvrc12_val_lmdb" batch_size: 3 backend: LMDB } }
layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" pooling_param { pool: AVE global_pooling: true } }
layer { name: "fc" type: "InnerProduct" bottom: "pool" top: "fc" inner_product_param { num_output: 6 } }
layer { name: "accuracy_top1" type: "Accuracy" bottom: "fc" bottom: "label" top: "accuracy_top1" }
layer { name: "accuracy_top5" type: "Accuracy" bottom: "fc" bottom: "label" top: "accuracy_top5"
        accuracy_param { top_k: 5 } }
)");
  {
    // Bias 5, 4, ... for classes 0, 1, ...: every image is classified 0; labels are 0-5.
    NetParameter param;
    read_text_proto(dir_.file("model/train_val.prototxt"), &param);
    param.mutable_layer(0)->mutable_data_param()->set_source(test::make_image_lmdb(dir_.path(), "w", 3, 224, 224));
    Net net(param, TEST);
    float* bias = net.layer_by_name("fc")->blobs()[1]->mutable_cpu_data();
    for (int c = 0; c < 6; ++c) bias[c] = 5.f - c;
    NetParameter weights;
    net.to_proto(&weights);
    write_binary_proto(weights, weights_);
  }
  const std::string lmdb = dir_.file("lmdb/val");  // its parent folder is made too
  const auto result = run_script("--hwgq=" HWGQ_BINARY_PATH " --val-dir=" + dir_.file("val_images") +
                                     " --val-list=" + dir_.file("val_list.txt") + " --lmdb=" + lmdb + " " +
                                     dir_.file("model") + " " + weights_,
                                 dir_.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "One pass over the 6 items")) << result.output;
  EXPECT_TRUE(contains(result.output, "top-1 0.166667, top-5 0.833333")) << result.output;
  ASSERT_TRUE(std::filesystem::exists(lmdb));
  NetParameter check;
  // The LMDB holds 256x256 images: the documented resize.
  read_text_proto(dir_.file("model/train_val.prototxt"), &check);
  check.mutable_layer(0)->mutable_data_param()->set_source(lmdb);
  check.mutable_layer(0)->mutable_transform_param()->clear_crop_size();
  Net net(check, TEST);
  EXPECT_EQ(net.blob_by_name("data")->shape(), (std::vector<int>{3, 3, 256, 256}));
}

}  // namespace
}  // namespace hwgq
