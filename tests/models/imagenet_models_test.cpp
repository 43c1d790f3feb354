// The project's ImageNet models (models/imagenet/, written by
// scripts/make_imagenet_models.py): every file parses, the solvers carry the paper's
// settings, TRAIN and TEST nets build on a tiny LMDB, every deploy net runs forward at
// batch 1, the hwgq variants follow the HWGQ recipe and, where the authors' files are at
// hand, have their graph (same weights by name and shape, same layer counts).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>

#include "hwgq/net.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const std::string kModels = HWGQ_SOURCE_DIR "/models/imagenet";

// What the paper's section-3 table fixes for each net (docs: hwgq-paper.md).
struct Expected {
  const char* net;
  const char* authors_dir;
  int crop;
  int batch;      // per pass (the authors' per-GPU batch)
  int iter_size;  // the authors' GPU count
  int test_batch;
  float base_lr;
  int max_iter;
  float weight_decay;
};

const Expected kExpected[] = {
    {"alexnet", "alex-hwgq-3ne-clip-poly-320k", 227, 128, 2, 50, 0.02f, 320000, 5e-4f},
    {"resnet18", "res18-hwgq-3ne-clip-poly-320k", 224, 64, 4, 25, 0.1f, 320000, 5e-5f},
    {"resnet34", "res34-hwgq-3ne-clip-poly-320k", 224, 64, 4, 10, 0.1f, 320000, 5e-5f},
    {"resnet50", "res50-hwgq-3ne-clip-poly-640k", 224, 16, 8, 25, 0.1f, 640000, 5e-5f},
    {"vgg_variant", "vgg-hwgq-3ne-clip-poly-640k", 224, 64, 2, 25, 0.01f, 640000, 5e-4f},
    {"googlenet", "google-hwgq-3ne-clip-poly-320k", 224, 64, 4, 50, 0.1f, 320000, 5e-5f},
    {"darknet19", "dark19-hwgq-3ne-clip-poly-320k", 224, 64, 4, 25, 0.1f, 320000, 5e-5f},
};

std::vector<std::string> model_dirs() {
  std::vector<std::string> dirs;
  for (const auto& e : kExpected) {
    for (const char* variant : {"fp", "hwgq"}) dirs.push_back(std::string(e.net) + "/" + variant);
  }
  return dirs;
}

const Expected& expected_for(const std::string& dir) {
  const std::string net = dir.substr(0, dir.find('/'));
  for (const auto& e : kExpected) {
    if (net == e.net) return e;
  }
  throw std::runtime_error("no expectations for " + dir);
}

bool is_hwgq(const std::string& dir) { return dir.size() > 5 && dir.compare(dir.size() - 5, 5, "/hwgq") == 0; }

// Two tiny 256x256 LMDBs (train and val), made once per process.
struct TinyImagenet {
  test::TempDir dir;
  std::string train, val;
  TinyImagenet() {
    train = test::make_image_lmdb(dir.path(), "train", 2, 256, 256);
    val = test::make_image_lmdb(dir.path(), "val", 2, 256, 256);
  }
};
const TinyImagenet& tiny_imagenet() {
  static TinyImagenet data;
  return data;
}

class ImagenetModel : public ::testing::TestWithParam<std::string> {
 protected:
  std::string file(const std::string& name) const { return kModels + "/" + GetParam() + "/" + name; }
};

TEST_P(ImagenetModel, SolverCarriesThePapersSettings) {
  const Expected& e = expected_for(GetParam());
  SolverParameter solver;
  read_text_proto(file("solver.prototxt"), &solver);
  validate_solver(solver, file("solver.prototxt"));
  EXPECT_EQ(solver.net(), "models/imagenet/" + GetParam() + "/train_val.prototxt");
  EXPECT_TRUE(file_exists(std::string(HWGQ_SOURCE_DIR) + "/" + solver.net()));
  EXPECT_EQ(solver.type(), "SGD");
  EXPECT_FLOAT_EQ(solver.momentum(), 0.9f);
  EXPECT_FLOAT_EQ(solver.base_lr(), e.base_lr);
  EXPECT_EQ(solver.lr_policy(), "poly");
  EXPECT_FLOAT_EQ(solver.power(), 1.f);
  EXPECT_EQ(solver.max_iter(), e.max_iter);
  EXPECT_FLOAT_EQ(solver.weight_decay(), e.weight_decay);
  EXPECT_EQ(solver.iter_size(), e.iter_size);
  EXPECT_EQ(solver.solver_mode(), SolverParameter::GPU);
  for (int test_iter : solver.test_iter()) EXPECT_EQ(test_iter * e.test_batch, 50000);
}

TEST_P(ImagenetModel, DataLayersReadTheDocumentedLmdbs) {
  const Expected& e = expected_for(GetParam());
  NetParameter net;
  read_text_proto(file("train_val.prototxt"), &net);
  int data_layers = 0;
  for (const auto& layer : net.layer()) {
    if (layer.type() != "Data") continue;
    ++data_layers;
    ASSERT_EQ(layer.include_size(), 1);
    const bool train = layer.include(0).phase() == TRAIN;
    EXPECT_EQ(layer.data_param().source(),
              train ? "data/imagenet/ilsvrc12_train_lmdb" : "data/imagenet/ilsvrc12_val_lmdb");
    EXPECT_EQ(layer.data_param().backend(), DataParameter::LMDB);
    EXPECT_EQ(static_cast<int>(layer.data_param().batch_size()), train ? e.batch : e.test_batch);
    const auto& t = layer.transform_param();
    EXPECT_EQ(static_cast<int>(t.crop_size()), e.crop);
    EXPECT_EQ(t.mirror(), train);
    ASSERT_EQ(t.mean_value_size(), 3);
    EXPECT_EQ(t.mean_value(0), 104.f);
    EXPECT_EQ(t.mean_value(1), 117.f);
    EXPECT_EQ(t.mean_value(2), 123.f);
  }
  EXPECT_EQ(data_layers, 2);
}

TEST_P(ImagenetModel, TrainAndTestNetsBuild) {
  NetParameter param;
  read_text_proto(file("train_val.prototxt"), &param);
  test::set_data_sources(&param, tiny_imagenet().train, tiny_imagenet().val);
  set_batch_size(&param, 1);
  // Random fills of the big nets' weights (VGG's fc5 alone has 100M) would cost seconds
  // here; the fillers are exercised by the authors' nets, which share them (see
  // hwgq_official_test.cpp).
  for (auto& layer : *param.mutable_layer()) {
    if (layer.has_convolution_param()) layer.mutable_convolution_param()->clear_weight_filler();
    if (layer.has_inner_product_param()) layer.mutable_inner_product_param()->clear_weight_filler();
  }
  {
    Net train(param, TRAIN, file("train_val.prototxt"));
    EXPECT_EQ(train.output_blob_names(), std::vector<std::string>{"loss"});
  }
  Net test_net(param, TEST, file("train_val.prototxt"));
  EXPECT_EQ(test_net.output_blob_names(), (std::vector<std::string>{"loss", "accuracy_top1", "accuracy_top5"}));
  EXPECT_EQ(test_net.layer_by_name("accuracy_top5")->layer_param().accuracy_param().top_k(), 5u);
  EXPECT_EQ(test_net.layer_by_name("accuracy_top1")->layer_param().accuracy_param().top_k(), 1u);
}

TEST_P(ImagenetModel, DeployRunsForwardAtBatchOne) {
  const Expected& e = expected_for(GetParam());
  Net net(file("deploy.prototxt"), TEST);
  ASSERT_EQ(net.input_blobs().size(), 1u);
  EXPECT_EQ(net.input_blobs()[0]->shape(), (std::vector<int>{1, 3, e.crop, e.crop}));
  test::randomize_params(&net);
  Blob* data = net.input_blobs()[0];
  for (int i = 0; i < data->count(); ++i) data->mutable_cpu_data()[i] = static_cast<float>((i * 37) % 255) - 117.f;
  net.forward();
  const Blob* prob = net.blob_by_name("prob");
  ASSERT_EQ(prob->shape(), (std::vector<int>{1, 1000}));
  double sum = 0;
  for (int i = 0; i < prob->count(); ++i) {
    ASSERT_TRUE(std::isfinite(prob->cpu_data()[i]));
    sum += prob->cpu_data()[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-4);
}

// The HWGQ recipe: every binary layer reads a 2-bit HWGQ quantizer whose input is a
// BatchNorm output (no affine part in between); the first conv and the classifier are
// full precision. The fp variant has no quantizer and no binary layer.
TEST_P(ImagenetModel, FollowsTheVariantsRecipe) {
  NetParameter net;
  read_text_proto(file("train_val.prototxt"), &net);
  std::map<std::string, std::string> producer;  // blob -> type of the layer that last wrote it
  int binary = 0, quant = 0, plain = 0;
  for (const auto& layer : net.layer()) {
    const std::string& type = layer.type();
    if (type == "Quant") {
      ++quant;
      EXPECT_EQ(producer[layer.bottom(0)], "BatchNorm") << layer.name();
      const auto& q = layer.quant_param();
      EXPECT_EQ(q.forward_func(), "hwgq");
      EXPECT_EQ(q.backward_func(), "relu");
      ASSERT_EQ(q.centers_size(), 3) << layer.name();
      EXPECT_FLOAT_EQ(q.centers(0), 0.538f);
      EXPECT_FLOAT_EQ(q.centers(1), 1.076f);
      EXPECT_FLOAT_EQ(q.centers(2), 1.614f);
      EXPECT_FLOAT_EQ(q.clip_thr(), 1.614f);
    }
    if (type == "BinaryConvolution" || type == "BinaryInnerProduct") {
      ++binary;
      EXPECT_EQ(producer[layer.bottom(0)], "Quant") << layer.name();
      EXPECT_TRUE(type == "BinaryConvolution" ? layer.binary_convolution_param().use_alpha()
                                              : layer.binary_inner_product_param().use_alpha());
    }
    if (type == "Convolution" || type == "InnerProduct") ++plain;
    for (const auto& top : layer.top()) producer[top] = type;
  }
  if (is_hwgq(GetParam())) {
    EXPECT_GT(binary, 0);
    // One quantizer per distinct binary input: residual projections and inception
    // branches share theirs.
    std::set<std::string> binary_inputs;
    for (const auto& layer : net.layer()) {
      if (layer.type().rfind("Binary", 0) == 0) binary_inputs.insert(layer.bottom(0));
    }
    EXPECT_EQ(quant, static_cast<int>(binary_inputs.size()));
    EXPECT_EQ(plain, 2) << "first conv and classifier only";
  } else {
    EXPECT_EQ(binary + quant, 0);
    for (const auto& layer : net.layer()) {
      if (layer.type() == "BatchNorm") {
        // Each BatchNorm is followed by its Scale.
        bool scaled = false;
        for (const auto& other : net.layer()) {
          scaled |= other.type() == "Scale" && other.bottom(0) == layer.top(0);
        }
        EXPECT_TRUE(scaled) << layer.name();
      }
    }
  }
}

// Same weights (by layer name and shape) and the same layer counts as the authors' nets,
// so their released *_HWGQ.caffemodel files load into these models.
TEST_P(ImagenetModel, HwgqVariantHasTheAuthorsGraph) {
  if (!is_hwgq(GetParam())) GTEST_SKIP() << "the authors only published hwgq nets";
  const std::string reference = test::reference_dir();
  if (reference.empty()) GTEST_SKIP() << "the authors' files are not at hand";
  const std::string theirs = reference + "/imagenet/" + expected_for(GetParam()).authors_dir;
  NetParameter ours_param, their_param;
  read_text_proto(file("deploy.prototxt"), &ours_param);
  read_text_proto(theirs + "/deploy.prototxt", &their_param);
  set_batch_size(&their_param, 1);
  const Net ours(ours_param, TEST, "ours");
  const Net them(their_param, TEST, "theirs");
  EXPECT_EQ(test::param_shapes(ours), test::param_shapes(them));

  NetParameter ours_train, their_train;
  read_text_proto(file("train_val.prototxt"), &ours_train);
  read_text_proto(theirs + "/train_val.prototxt", &their_train);
  EXPECT_EQ(test::layer_type_counts(ours_train), test::layer_type_counts(their_train));
}

INSTANTIATE_TEST_SUITE_P(All, ImagenetModel, ::testing::ValuesIn(model_dirs()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) c = (c == '/') ? '_' : c;
                           return name;
                         });

TEST(ImagenetModels, NoOtherModelFolders) {
  std::vector<std::string> found;
  for (const auto& file : test::files_under(kModels, "train_val.prototxt")) {
    found.push_back(std::filesystem::relative(std::filesystem::path(file).parent_path(), kModels).string());
  }
  auto expected = model_dirs();
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(found, expected);
}

// The committed files are what the generator writes.
TEST(ImagenetModels, GeneratorOutputIsCommitted) {
  if (std::system("command -v python3 > /dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  const std::string command =
      "python3 " HWGQ_SOURCE_DIR "/scripts/make_imagenet_models.py --check > /dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << "run scripts/make_imagenet_models.py and commit its output";
}

}  // namespace
}  // namespace hwgq
