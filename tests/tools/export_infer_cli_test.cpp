// `hwgq export`, `hwgq infer` and `hwgq time` on a packed model, end to end through the
// CLI: a small HWGQ net trained on generated IDX images is exported from its train_val,
// verified against the float net, classified from IDX and PNG files, timed; bad inputs
// give one-line errors.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "hwgq/data/image_io.hpp"
#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

// The number after the last occurrence of key (the summary lines come last).
double value_after(const std::string& text, const std::string& key) {
  const size_t at = text.rfind(key);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + key.size()));
}

class ExportInfer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    test::write_idx_pair(file("images"), file("labels"), 60, 12, 12, 4);
    const std::string data = R"(
layer { name: "d" type: "IdxData" top: "data" top: "label" include { phase: TRAIN }
        idx_data_param { images: ")" + file("images") + R"(" labels: ")" + file("labels") + R"(" batch_size: 10 scale: 0.00390625 } }
layer { name: "d" type: "IdxData" top: "data" top: "label" include { phase: TEST }
        idx_data_param { images: ")" + file("images") + R"(" labels: ")" + file("labels") + R"(" batch_size: 20 scale: 0.00390625 } }
)";
    const std::string quant = "quant_param { forward_func: 'hwgq' centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 }";
    test::write_text(file("train_val.prototxt"), "name: 'tiny-hwgq'\n" + data + R"(
layer { name: "conv0" type: "BinaryConvolution" bottom: "data" top: "conv0"
        convolution_param { num_output: 8 kernel_size: 3 weight_filler { type: "gaussian" std: 0.1 } }
        binary_convolution_param { use_alpha: true } }
layer { name: "bn0" type: "BatchNorm" bottom: "conv0" top: "conv0" }
layer { name: "q0" type: "Quant" bottom: "conv0" top: "conv0" )" + quant + R"( }
layer { name: "conv1" type: "BinaryConvolution" bottom: "conv0" top: "conv1"
        convolution_param { num_output: 13 kernel_size: 3 pad: 1 weight_filler { type: "gaussian" std: 0.1 } }
        binary_convolution_param { use_alpha: true } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "bn1" type: "BatchNorm" bottom: "pool1" top: "pool1" }
layer { name: "q1" type: "Quant" bottom: "pool1" top: "pool1" )" + quant + R"( }
layer { name: "ip" type: "BinaryInnerProduct" bottom: "pool1" top: "ip"
        inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.1 } }
        binary_inner_product_param { use_alpha: true } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include { phase: TEST } }
)");
    test::write_text(file("solver.prototxt"), "net: '" + file("train_val.prototxt") +
                                                  "' base_lr: 0.05 momentum: 0.9 lr_policy: 'fixed' max_iter: 30 "
                                                  "display: 0 snapshot_prefix: '" + file("tiny") +
                                                  "' random_seed: 3 solver_mode: CPU");
    const auto trained = run_hwgq("train --solver=" + file("solver.prototxt"));
    ASSERT_EQ(trained.exit_code, 0) << trained.output;
    weights_ = file("tiny_iter_30.caffemodel");
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string file(const std::string& name) { return dir_->file(name); }

  static test::TempDir* dir_;
  static std::string weights_;
};
test::TempDir* ExportInfer::dir_ = nullptr;
std::string ExportInfer::weights_;

TEST_F(ExportInfer, ExportVerifiesInfersAndTimes) {
  const std::string model = file("tiny.hwgq");
  const auto exported = run_hwgq("export --model=" + file("train_val.prototxt") + " --weights=" + weights_ +
                                 " --output=" + model + " --verify=-1");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("wrote " + model), std::string::npos) << exported.output;
  EXPECT_NE(exported.output.find("verified on 60 images: 60 same top-1 class"), std::string::npos) << exported.output;
  EXPECT_NE(exported.output.find("PackedBinaryConvolution"), std::string::npos) << exported.output;
  EXPECT_NE(exported.output.find("Convolution (binarized)"), std::string::npos) << exported.output;

  // Packed accuracy over the IDX set equals the float net's `hwgq test` accuracy.
  const auto tested = run_hwgq("test --model=" + file("train_val.prototxt") + " --weights=" + weights_ +
                               " --iterations=0");
  ASSERT_EQ(tested.exit_code, 0) << tested.output;
  const auto inferred =
      run_hwgq("infer --model=" + model + " --images=" + file("images") + " --labels=" + file("labels"));
  ASSERT_EQ(inferred.exit_code, 0) << inferred.output;
  EXPECT_NE(inferred.output.find("images: 60"), std::string::npos) << inferred.output;
  const double float_accuracy = value_after(tested.output, "accuracy = ");
  const double packed_accuracy = value_after(inferred.output, "top-1 accuracy = ");
  ASSERT_GE(float_accuracy, 0) << tested.output;
  EXPECT_NEAR(packed_accuracy, float_accuracy, 1e-4) << inferred.output;
  EXPECT_DOUBLE_EQ(value_after(inferred.output, "top-5 accuracy = "), 1.0);  // 4 classes

  // PNG files: one line each, top classes and scores.
  Image image;
  image.height = 12;
  image.width = 12;
  image.channels = 1;
  image.pixels.assign(144, 0);
  for (int i = 0; i < 144; ++i) image.pixels[i] = static_cast<uint8_t>(i * 5 % 256);
  write_file_atomic(file("a.png"), encode_png(image));
  image.pixels.assign(144, 200);
  write_file_atomic(file("b.png"), encode_png(image));
  const auto files = run_hwgq("infer --model=" + model + " --images=" + file("a.png") + "," + file("b.png") +
                              " --top_k=2");
  ASSERT_EQ(files.exit_code, 0) << files.output;
  EXPECT_NE(files.output.find(file("a.png") + ": "), std::string::npos) << files.output;
  EXPECT_NE(files.output.find(file("b.png") + ": "), std::string::npos) << files.output;

  const auto timed = run_hwgq("time --model=" + model + " --iterations=2 --batch=4");
  ASSERT_EQ(timed.exit_code, 0) << timed.output;
  EXPECT_NE(timed.output.find("Average Forward pass"), std::string::npos) << timed.output;
}

TEST_F(ExportInfer, BadInputsAreOneLineErrors) {
  const std::string model = file("errors.hwgq");
  ASSERT_EQ(run_hwgq("export --model=" + file("train_val.prototxt") + " --weights=" + weights_ + " --output=" + model)
                .exit_code,
            0);
  const auto not_packed = run_hwgq("infer --model=" + file("train_val.prototxt") + " --images=" + file("images"));
  EXPECT_NE(not_packed.exit_code, 0);
  EXPECT_NE(not_packed.output.find("not a packed hwgq model"), std::string::npos) << not_packed.output;

  const std::string bytes = read_file(model);
  write_file_atomic(file("truncated.hwgq"), bytes.substr(0, bytes.size() / 2));
  const auto truncated = run_hwgq("infer --model=" + file("truncated.hwgq") + " --images=" + file("images"));
  EXPECT_NE(truncated.exit_code, 0);
  EXPECT_NE(truncated.output.find("truncated"), std::string::npos) << truncated.output;

  const auto overwrite = run_hwgq("export --model=" + file("train_val.prototxt") + " --weights=" + weights_ +
                                  " --output=" + weights_);
  EXPECT_NE(overwrite.exit_code, 0);
  EXPECT_NE(overwrite.output.find("one of export's inputs"), std::string::npos) << overwrite.output;
  EXPECT_EQ(read_file(weights_).substr(0, 8) == "HWGQPACK", false);

  test::write_text(file("float.prototxt"),
                   "layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 1 dim: 4 } } }\n"
                   "layer { name: 'fc' type: 'InnerProduct' bottom: 'x' top: 'y' inner_product_param { num_output: 2 } }\n");
  // Its own weights: weights matching none of its layers would be refused before export.
  NetParameter float_weights;
  Net(file("float.prototxt"), TEST).to_proto(&float_weights);
  write_binary_proto(float_weights, file("float.caffemodel"));
  const auto nothing = run_hwgq("export --model=" + file("float.prototxt") + " --weights=" + file("float.caffemodel") +
                                " --output=" + file("float.hwgq"));
  EXPECT_NE(nothing.exit_code, 0);
  EXPECT_NE(nothing.output.find("nothing to pack"), std::string::npos) << nothing.output;
  EXPECT_FALSE(file_exists(file("float.hwgq")));

  const auto no_images = run_hwgq("infer --model=" + model);
  EXPECT_NE(no_images.exit_code, 0);
  EXPECT_NE(no_images.output.find("--images"), std::string::npos) << no_images.output;
  const auto missing_image = run_hwgq("infer --model=" + model + " --images=" + file("nope.png"));
  EXPECT_NE(missing_image.exit_code, 0);
  EXPECT_NE(missing_image.output.find("nope.png"), std::string::npos) << missing_image.output;
  const auto bad_labels =
      run_hwgq("infer --model=" + model + " --images=" + file("a_missing_dir_or_file") + " --labels=" + file("labels"));
  EXPECT_NE(bad_labels.exit_code, 0);
}

}  // namespace
}  // namespace hwgq
