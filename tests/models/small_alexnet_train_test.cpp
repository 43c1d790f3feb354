// The ImageNet workflow in miniature, through the command-line tool: a folder of JPEGs
// and a list -> `hwgq convert_imageset` -> an LMDB -> `hwgq train` of an AlexNet-HWGQ-shaped
// net (full-precision conv1, BN -> Quant -> binary conv/fc, BN -> ReLU -> fc; 32x32 crops,
// few channels) -> `hwgq test --iterations=0` of the snapshot.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "hwgq/data/image_io.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

constexpr int kClasses = 4;
constexpr int kPerClass = 9;

// Class c is a picture in colour kColours[c] with a texture that varies per image, so the
// classes are easy to tell apart and the images are not copies of each other.
Image class_image(int c, int index) {
  static const int kColours[kClasses][3] = {{200, 50, 50}, {50, 200, 50}, {50, 50, 200}, {190, 190, 60}};
  Image image;
  image.height = image.width = 40;
  image.channels = 3;
  image.pixels.resize(40 * 40 * 3);
  for (int h = 0; h < 40; ++h) {
    for (int w = 0; w < 40; ++w) {
      const int texture = ((h * (index + 2) + w * (index + 3)) % 17) * 3 - 24;
      for (int ch = 0; ch < 3; ++ch) image.at(h, w, ch) = static_cast<uint8_t>(kColours[c][ch] + texture);
    }
  }
  return image;
}

std::string quant(const std::string& name, const std::string& bottom) {
  return "layer { name: \"" + name + "\" type: \"Quant\" bottom: \"" + bottom + "\" top: \"" + name +
         "\" quant_param { forward_func: \"hwgq\" backward_func: \"relu\" centers: 0.538 centers: 1.076 "
         "centers: 1.614 clip_thr: 1.614 } }\n";
}
std::string bn(const std::string& name, const std::string& blob) {
  return "layer { name: \"" + name + "\" type: \"BatchNorm\" bottom: \"" + blob + "\" top: \"" + blob +
         "\" param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 }"
         " batch_norm_param { moving_average_fraction: 0.95 } }\n";
}
std::string conv(const std::string& type, const std::string& name, const std::string& bottom, int num, int kernel,
                 int pad) {
  std::string layer = "layer { name: \"" + name + "\" type: \"" + type + "\" bottom: \"" + bottom + "\" top: \"" +
                      name + "\" convolution_param { num_output: " + std::to_string(num) +
                      " kernel_size: " + std::to_string(kernel) + " pad: " + std::to_string(pad) +
                      " bias_term: false weight_filler { type: \"msra\" } }";
  if (type == "BinaryConvolution") layer += " binary_convolution_param { use_alpha: true }";
  return layer + " }\n";
}
std::string pool(const std::string& name, const std::string& bottom) {
  return "layer { name: \"" + name + "\" type: \"Pooling\" bottom: \"" + bottom + "\" top: \"" + name +
         "\" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }\n";
}

std::string data_layer(const std::string& phase, const std::string& source) {
  return "layer { name: \"data\" type: \"Data\" top: \"data\" top: \"label\" include { phase: " + phase +
         " } transform_param { crop_size: 32 mirror: " + (phase == "TRAIN" ? "true" : "false") +
         " mean_value: 104 mean_value: 117 mean_value: 123 scale: 0.02 }"
         " data_param { source: \"" + source + "\" batch_size: 12 backend: LMDB } }\n";
}

// AlexNet's layer pattern at 1/16 of its width: 32 -> conv1 5x5 -> 28 -> pool -> 14 ->
// conv2 -> pool -> 7 -> conv3, conv4, conv5 -> pool -> 3 -> fc6 -> fc7 -> fc8.
std::string small_alexnet(const std::string& train_lmdb, const std::string& val_lmdb) {
  std::string net = "name: \"SmallAlexNet-HWGQ\"\n" + data_layer("TRAIN", train_lmdb) + data_layer("TEST", val_lmdb);
  net += conv("Convolution", "conv1", "data", 16, 5, 0) + pool("pool1", "conv1");
  net += bn("bn2", "pool1") + quant("qt2", "pool1") + conv("BinaryConvolution", "conv2", "qt2", 24, 5, 2) +
         pool("pool2", "conv2");
  net += bn("bn3", "pool2") + quant("qt3", "pool2") + conv("BinaryConvolution", "conv3", "qt3", 32, 3, 1);
  net += bn("bn4", "conv3") + quant("qt4", "conv3") + conv("BinaryConvolution", "conv4", "qt4", 32, 3, 1);
  net += bn("bn5", "conv4") + quant("qt5", "conv4") + conv("BinaryConvolution", "conv5", "qt5", 24, 3, 1) +
         pool("pool5", "conv5");
  net += bn("bn6", "pool5") + quant("qt6", "pool5") +
         "layer { name: \"fc6\" type: \"BinaryInnerProduct\" bottom: \"qt6\" top: \"fc6\" inner_product_param {"
         " num_output: 64 bias_term: false weight_filler { type: \"msra\" } }"
         " binary_inner_product_param { use_alpha: true } }\n";
  net += bn("bn7", "fc6") + quant("qt7", "fc6") +
         "layer { name: \"fc7\" type: \"BinaryInnerProduct\" bottom: \"qt7\" top: \"fc7\" inner_product_param {"
         " num_output: 64 bias_term: false weight_filler { type: \"msra\" } }"
         " binary_inner_product_param { use_alpha: true } }\n";
  net += bn("bn8", "fc7") + "layer { name: \"relu8\" type: \"ReLU\" bottom: \"fc7\" top: \"fc7\" }\n";
  net += "layer { name: \"fc8\" type: \"InnerProduct\" bottom: \"fc7\" top: \"fc8\" param { lr_mult: 1 }"
         " param { lr_mult: 2 decay_mult: 0 } inner_product_param { num_output: " +
         std::to_string(kClasses) + " weight_filler { type: \"gaussian\" std: 0.01 } } }\n";
  net += "layer { name: \"loss\" type: \"SoftmaxWithLoss\" bottom: \"fc8\" bottom: \"label\" top: \"loss\" }\n";
  net += "layer { name: \"accuracy_top1\" type: \"Accuracy\" bottom: \"fc8\" bottom: \"label\" top: "
         "\"accuracy_top1\" include { phase: TEST } }\n";
  return net;
}

// (iteration, loss) of every display line.
std::vector<std::pair<int, float>> displayed_losses(const std::string& log) {
  std::vector<std::pair<int, float>> losses;
  const std::regex line(R"(Iteration (\d+)(?: \([^)\n]*\))?, loss = ([-0-9.e+]+))");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator(); ++it) {
    losses.emplace_back(std::stoi((*it)[1]), std::stof((*it)[2]));
  }
  return losses;
}

TEST(SmallAlexnetHwgq, JpegsToLmdbToTrainedNet) {
  test::TempDir dir;
  std::string list;
  for (int c = 0; c < kClasses; ++c) {
    for (int i = 0; i < kPerClass; ++i) {
      const std::string file = "c" + std::to_string(c) + "_" + std::to_string(i) + ".jpg";
      write_file_atomic(dir.file(file), encode_jpeg(class_image(c, i), 92));
      list += file + " " + std::to_string(c) + "\n";
    }
  }
  test::write_text(dir.file("list.txt"), list);
  for (const std::string name : {"train_lmdb", "val_lmdb"}) {
    const auto made = run_hwgq(std::string("convert_imageset") + (name == "train_lmdb" ? " --shuffle" : "") + " " +
                               dir.path() + "/ " + dir.file("list.txt") + " " + dir.file(name));
    ASSERT_EQ(made.exit_code, 0) << made.output;
    EXPECT_NE(made.output.find("wrote 36 images"), std::string::npos) << made.output;
  }

  test::write_text(dir.file("train_val.prototxt"), small_alexnet(dir.file("train_lmdb"), dir.file("val_lmdb")));
  test::write_text(dir.file("solver.prototxt"), "net: \"" + dir.file("train_val.prototxt") + "\"\n" +
                                                    "test_iter: 3\ntest_interval: 40\ntest_initialization: false\n"
                                                    "base_lr: 0.05\nlr_policy: \"poly\"\npower: 1\nmomentum: 0.9\n"
                                                    "weight_decay: 0.0005\ndisplay: 5\nmax_iter: 40\n"
                                                    "snapshot_prefix: \"" +
                                                    dir.file("small") + "\"\nsolver_mode: CPU\nrandom_seed: 1\n");
  const auto trained = run_hwgq("train --solver=" + dir.file("solver.prototxt"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const auto losses = displayed_losses(trained.output);
  ASSERT_GE(losses.size(), 8u) << trained.output;
  EXPECT_EQ(losses.front().first, 0);
  EXPECT_LT(losses.back().second, 0.5f * losses.front().second) << trained.output;
  ASSERT_TRUE(file_exists(dir.file("small_iter_40.caffemodel"))) << trained.output;

  const auto tested = run_hwgq("test --model=" + dir.file("train_val.prototxt") +
                               " --weights=" + dir.file("small_iter_40.caffemodel") + " --iterations=0");
  ASSERT_EQ(tested.exit_code, 0) << tested.output;
  EXPECT_NE(tested.output.find("One pass over the 36 items of layer \"data\": 3 batches of 12"), std::string::npos)
      << tested.output;
  const std::regex accuracy(R"(\naccuracy_top1 = ([0-9.e-]+)\n)");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(tested.output, match, accuracy)) << tested.output;
  EXPECT_GE(std::stof(match[1]), 0.75f) << tested.output;
}

}  // namespace
}  // namespace hwgq
