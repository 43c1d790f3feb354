// The HWGQ authors' own prototxt files (zhaoweicai/hwgq, kept outside the project under
// ../shared/reference/hwgq-official, or $HWGQ_REFERENCE_DIR): every file parses, every
// deploy net builds, runs forward and is timed by `hwgq time`, and every train_val net
// trains two iterations with its solver once its LMDBs are swapped for tiny generated
// ones. Skipped when the files are not at hand; the heaviest (is_heavy) run only with
// HWGQ_LONG_TESTS=1, to keep the suite fast on two cores.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "hwgq/net.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char* const kDeploys[] = {
    "imagenet/alex-hwgq-3ne-clip-poly-320k/deploy.prototxt",
    "imagenet/alex-hwgq-3ne-clip-poly-320k/deploy_bw.prototxt",
    "imagenet/dark19-hwgq-3ne-clip-poly-320k/deploy.prototxt",
    "imagenet/google-hwgq-3ne-clip-poly-320k/deploy.prototxt",
    "imagenet/res18-hwgq-3ne-clip-poly-320k/deploy.prototxt",
    "imagenet/res18-hwgq-3ne-clip-poly-320k/deploy_bw.prototxt",
    "imagenet/res34-hwgq-3ne-clip-poly-320k/deploy.prototxt",
    "imagenet/res50-hwgq-3ne-clip-poly-640k/deploy.prototxt",
    "imagenet/vgg-hwgq-3ne-clip-poly-640k/deploy.prototxt",
    "imagenet/vgg-hwgq-3ne-clip-poly-640k/deploy_bw.prototxt",
};

const char* const kTrainVals[] = {
    "imagenet/alex-hwgq-2n-clip-step-160k/train_val.prototxt",
    "imagenet/alex-hwgq-3ne-clip-poly-320k/train_val.prototxt",
    "imagenet/alex-hwgq-3ne-clip-step-160k/train_val.prototxt",
    "imagenet/alex-sign-step-160k/train_val.prototxt",
    "imagenet/dark19-hwgq-3ne-clip-poly-320k/train_val.prototxt",
    "imagenet/google-hwgq-3ne-clip-poly-320k/train_val.prototxt",
    "imagenet/res18-hwgq-3ne-clip-poly-320k/train_val.prototxt",
    "imagenet/res34-hwgq-3ne-clip-poly-320k/train_val.prototxt",
    "imagenet/res50-hwgq-3ne-clip-poly-640k/train_val.prototxt",
    "imagenet/vgg-hwgq-3ne-clip-poly-640k/train_val.prototxt",
    "mnist/lenet-hwgq-3ne/train_val.prototxt",
    "cifar10/vgg-hwgq-3ne-clip-poly/train_val.prototxt",
};

// Run only with HWGQ_LONG_TESTS=1: the biggest nets (5-15 s each on two cores, even at
// batch 1 or 2), and the three AlexNet ablations, whose graph is that of
// alex-hwgq-3ne-clip-poly-320k with other Quant settings and solvers (those still parse
// and validate in EveryPrototxtParses).
bool is_heavy(const std::string& file) {
  for (const char* net :
       {"/vgg-", "/res34-", "/res50-", "/alex-hwgq-2n-", "/alex-hwgq-3ne-clip-step-", "/alex-sign-"}) {
    if (file.find(net) != std::string::npos) return true;
  }
  return false;
}

std::string param_name(const ::testing::TestParamInfo<const char*>& info) {
  std::string name = info.param;
  name = name.substr(0, name.rfind(".prototxt"));
  for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

// Skips the test unless the reference files are here (and, for heavy nets, long tests
// are asked for); returns the file's full path.
#define REFERENCE_FILE_OR_SKIP(relative, path)                                                   \
  const std::string reference = test::reference_dir();                                            \
  if (reference.empty()) GTEST_SKIP() << "the authors' files are not at hand";                   \
  if (is_heavy(relative) && !test::long_tests_enabled()) GTEST_SKIP() << "set HWGQ_LONG_TESTS=1"; \
  const std::string path = reference + "/" + (relative)

TEST(HwgqOfficial, EveryPrototxtParses) {
  const std::string reference = test::reference_dir();
  if (reference.empty()) GTEST_SKIP() << "the authors' files are not at hand";
  const auto files = test::files_under(reference, ".prototxt");
  EXPECT_GE(files.size(), 26u);
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    if (file.find("solver") != std::string::npos) {
      SolverParameter solver;
      EXPECT_NO_THROW(read_text_proto(file, &solver));
      EXPECT_NO_THROW(validate_solver(solver, file));
    } else {
      NetParameter net;
      EXPECT_NO_THROW(read_text_proto(file, &net));
      EXPECT_GT(net.layer_size(), 0);
    }
  }
  // Every net file here is one of those the tests below exercise.
  std::set<std::string> known(std::begin(kDeploys), std::end(kDeploys));
  known.insert(std::begin(kTrainVals), std::end(kTrainVals));
  for (const auto& file : files) {
    if (file.find("solver") != std::string::npos) continue;
    EXPECT_TRUE(known.count(file.substr(reference.size() + 1))) << file << " is not tested";
  }
}

class HwgqOfficialDeploy : public ::testing::TestWithParam<const char*> {};

TEST_P(HwgqOfficialDeploy, BuildsAndRunsForward) {
  REFERENCE_FILE_OR_SKIP(GetParam(), path);
  NetParameter param;
  read_text_proto(path, &param);
  set_batch_size(&param, 1);
  Net net(param, TEST, path);
  test::randomize_params(&net);
  Blob* data = net.input_blobs().at(0);
  for (int i = 0; i < data->count(); ++i) data->mutable_cpu_data()[i] = static_cast<float>((i * 29) % 255) - 117.f;
  net.forward();
  const Blob* prob = net.blob_by_name("prob");
  ASSERT_EQ(prob->shape(), (std::vector<int>{1, 1000}));
  double sum = 0;
  for (int i = 0; i < prob->count(); ++i) sum += prob->cpu_data()[i];
  EXPECT_NEAR(sum, 1.0, 1e-4);
}

TEST_P(HwgqOfficialDeploy, HwgqTimeRuns) {
  REFERENCE_FILE_OR_SKIP(GetParam(), path);
  const auto result = test::run_hwgq("time --model=" + path + " --batch=2 --iterations=1");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Average Forward pass"), std::string::npos) << result.output;
}

INSTANTIATE_TEST_SUITE_P(Files, HwgqOfficialDeploy, ::testing::ValuesIn(kDeploys), param_name);

// Tiny stand-ins for the authors' LMDBs: 256x256 colour (ImageNet, cropped to 224/227),
// 28x28 gray (MNIST), 40x40 colour with its mean (the padded CIFAR-10 train set, cropped
// to 32) and 32x32 colour with its mean (the CIFAR-10 test set).
struct TinyDatasets {
  test::TempDir dir;
  std::string imagenet_train, imagenet_val, mnist_train, mnist_test;
  std::string cifar_train, cifar_test, cifar_train_mean, cifar_test_mean;
  TinyDatasets() {
    imagenet_train = test::make_image_lmdb(dir.path(), "imagenet_train", 4, 256, 256);
    imagenet_val = test::make_image_lmdb(dir.path(), "imagenet_val", 2, 256, 256);
    mnist_train = test::make_image_lmdb(dir.path(), "mnist_train", 4, 28, 28, true);
    mnist_test = test::make_image_lmdb(dir.path(), "mnist_test", 2, 28, 28, true);
    cifar_train = test::make_image_lmdb(dir.path(), "cifar_train", 4, 40, 40);
    cifar_test = test::make_image_lmdb(dir.path(), "cifar_test", 2, 32, 32);
    cifar_train_mean = test::make_mean_file(cifar_train, dir.file("mean_pad.binaryproto"));
    cifar_test_mean = test::make_mean_file(cifar_test, dir.file("mean.binaryproto"));
  }
};
const TinyDatasets& tiny_datasets() {
  static TinyDatasets data;
  return data;
}

class HwgqOfficialTrainVal : public ::testing::TestWithParam<const char*> {};

TEST_P(HwgqOfficialTrainVal, TrainsTwoIterations) {
  REFERENCE_FILE_OR_SKIP(GetParam(), path);
  const std::string relative = GetParam();
  const TinyDatasets& data = tiny_datasets();
  NetParameter net;
  read_text_proto(path, &net);
  if (relative.rfind("mnist/", 0) == 0) {
    test::set_data_sources(&net, data.mnist_train, data.mnist_test);
  } else if (relative.rfind("cifar10/", 0) == 0) {
    test::set_data_sources(&net, data.cifar_train, data.cifar_test, data.cifar_train_mean, data.cifar_test_mean);
  } else {
    test::set_data_sources(&net, data.imagenet_train, data.imagenet_val);
  }
  set_batch_size(&net, 2);

  // The authors' solver beside the net, cut down to two iterations on the CPU.
  const std::string folder = path.substr(0, path.rfind('/'));
  SolverParameter solver;
  read_text_proto(folder + "/solver.prototxt", &solver);
  solver.clear_net();
  *solver.mutable_net_param() = net;
  solver.set_max_iter(2);
  solver.clear_test_iter();
  solver.add_test_iter(1);
  solver.set_test_interval(0);
  solver.set_snapshot(0);
  solver.set_snapshot_after_train(false);
  solver.set_display(1);
  solver.set_solver_mode(SolverParameter::CPU);
  solver.set_random_seed(1);
  auto sgd = create_solver(solver, folder + "/solver.prototxt");

  // The first learnable weight must move.
  const Blob* first = sgd->net().learnable_params().at(0);
  const std::vector<float> before(first->cpu_data(), first->cpu_data() + first->count());
  sgd->step(2);
  EXPECT_EQ(sgd->iter(), 2);
  EXPECT_NE(std::vector<float>(first->cpu_data(), first->cpu_data() + first->count()), before);

  const auto outputs = sgd->test_all();
  std::map<std::string, float> values(outputs.begin(), outputs.end());
  ASSERT_TRUE(values.count("loss")) << "no loss output";
  EXPECT_TRUE(std::isfinite(values["loss"]));
  for (const auto& [name, value] : values) {
    if (name.find("accuracy") != std::string::npos) {
      EXPECT_GE(value, 0.f);
      EXPECT_LE(value, 1.f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, HwgqOfficialTrainVal, ::testing::ValuesIn(kTrainVals), param_name);

}  // namespace
}  // namespace hwgq
