// `hwgq export --format=onnx` checked by onnxruntime (tests/onnx/check_onnx_export.py, run
// with the Python that scripts/test.sh prepares): the exported graph is cut at every Quant
// layer's input and output, onnxruntime is fed hwgq's values at each cut, and what it
// computes between cuts must equal hwgq's forward: float values within 1e-4 of the
// tensor's scale, Quant levels bit for bit. Cutting keeps a float rounding difference that
// moves a value across a Quant threshold (a near-tie) from spreading into later layers;
// the free-running LeNet check shows the whole graph as users run it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include "hwgq/deploy/deploy_net.hpp"
#include "hwgq/deploy/onnx_export.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/util/io.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

// The Python with onnxruntime (test_util.hpp: $HWGQ_TEST_PYTHON).
std::string onnx_python() { return test::test_python(); }

#define SKIP_WITHOUT_ONNXRUNTIME() HWGQ_SKIP_WITHOUT_TEST_PYTHON()

std::string dims_text(const std::vector<int>& shape) {
  std::string text;
  for (int d : shape) text += (text.empty() ? "" : ",") + std::to_string(d);
  return text;
}

class Manifest {
 public:
  explicit Manifest(const test::TempDir& dir) : dir_(dir) {}
  void add(const std::string& role, const std::string& name, const Blob& blob) {
    const std::string file = dir_.file("value" + std::to_string(count_++) + ".bin");
    std::ofstream(file, std::ios::binary)
        .write(reinterpret_cast<const char*>(blob.cpu_data()), std::streamsize(blob.count() * sizeof(float)));
    lines_ << role << " " << name << " " << file << " " << dims_text(blob.shape()) << "\n";
  }
  std::string write() const {
    const std::string path = dir_.file("manifest.txt");
    test::write_text(path, lines_.str());
    return path;
  }

 private:
  const test::TempDir& dir_;
  std::ostringstream lines_;
  int count_ = 0;
};

// Runs the checker; returns its output after expecting success.
std::string run_checker(const std::string& model, const std::string& manifest) {
  const test::CommandResult result = test::run_shell(onnx_python() + " " + HWGQ_SOURCE_DIR +
                                                     "/tests/onnx/check_onnx_export.py " + model + " " + manifest);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

// Every Quant layer's input (traced back through Split copies to the layer that wrote it)
// and output, except net outputs.
std::vector<std::string> quant_cut_blobs(const Net& net) {
  std::set<std::string> cuts;
  for (size_t i = 0; i < net.layers().size(); ++i) {
    if (std::string(net.layers()[i]->type()) != "Quant") continue;
    int bottom = net.bottom_ids(i)[0];
    for (size_t j = 0; j < i; ++j) {
      const auto& tops = net.top_ids(j);
      if (std::string(net.layers()[j]->type()) == "Split" &&
          std::find(tops.begin(), tops.end(), bottom) != tops.end()) {
        bottom = net.bottom_ids(j)[0];
      }
    }
    cuts.insert(net.blob_names()[bottom]);
    cuts.insert(net.blob_names()[net.top_ids(i)[0]]);
  }
  for (const std::string& output : net.output_blob_names()) cuts.erase(output);
  return {cuts.begin(), cuts.end()};
}

// Exports `net` cut at its Quant layers, runs hwgq's forward layer by layer on the net's
// current input, recording the value at every cut, and has onnxruntime check it all.
std::string check_cut_export(Net& net, const std::string& label) {
  test::TempDir dir;
  OnnxExportOptions options;
  options.cut_blobs = quant_cut_blobs(net);
  const onnx::ModelProto model = export_onnx(net, options);
  const std::string path = dir.file("model.onnx");
  std::string bytes;
  EXPECT_TRUE(model.SerializeToString(&bytes));
  write_file_atomic(path, bytes);

  Manifest manifest(dir);
  const auto& graph = model.graph();
  for (size_t k = 0; k < net.input_blobs().size(); ++k) {
    manifest.add("feed", graph.input(k).name(), *net.input_blobs()[k]);
  }
  // Cut values appear in the graph, as inputs (".fed") and outputs, in layer order.
  int cut = 0;
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    net.forward_from_to(i, i + 1);
    const std::string type = net.layers()[i]->type();
    if (type == "Split" || type == "Dropout") continue;
    for (int top : net.top_ids(i)) {
      const std::string& name = net.blob_names()[top];
      if (std::find(options.cut_blobs.begin(), options.cut_blobs.end(), name) == options.cut_blobs.end()) continue;
      const Blob& value = *net.blobs()[top];
      manifest.add(type == "Quant" ? "quant" : "float", graph.output(cut).name(), value);
      manifest.add("feed", graph.input(int(net.input_blobs().size()) + cut).name(), value);
      ++cut;
    }
  }
  for (size_t k = 0; k < net.output_blobs().size(); ++k) {
    manifest.add("float", graph.output(cut + int(k)).name(), *net.output_blobs()[k]);
  }
  EXPECT_EQ(graph.output_size(), cut + int(net.output_blobs().size()));
  const std::string output = run_checker(path, manifest.write());
  std::cout << label << ": " << graph.node_size() << " ONNX nodes, " << cut << " cuts\n" << output;
  return output;
}

// BatchNorm statistics set to each BatchNorm input's per-channel mean and variance on the
// current input, layer by layer, so that every Quant level is in use.
void calibrate_batch_norm(Net& net) {
  int done = 0;
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    Layer& layer = *net.layers()[i];
    if (std::string(layer.type()) != "BatchNorm") continue;
    net.forward_from_to(done, i);
    done = i;
    const Blob& x = *net.bottom_vecs(i)[0];
    const int num = x.shape(0), channels = x.shape(1), spatial = x.count(2);
    for (int c = 0; c < channels; ++c) {
      double sum = 0, squares = 0;
      for (int n = 0; n < num; ++n) {
        const float* v = x.cpu_data() + (size_t(n) * channels + c) * spatial;
        for (int s = 0; s < spatial; ++s) {
          sum += v[s];
          squares += double(v[s]) * v[s];
        }
      }
      const double count = double(num) * spatial, mean = sum / count;
      layer.blobs()[0]->mutable_cpu_data()[c] = static_cast<float>(mean);
      layer.blobs()[1]->mutable_cpu_data()[c] = static_cast<float>(std::max(squares / count - mean * mean, 1e-4));
    }
    layer.blobs()[2]->mutable_cpu_data()[0] = 1.f;
  }
}

TEST(OnnxExport, UnsupportedLayerIsAnErrorNamingIt) {
  NetParameter param = test::net_from_text(R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 4 } } }
    layer { name: "halves" type: "Slice" bottom: "data" top: "a" top: "b" slice_param { axis: 1 } })");
  Net net(param, TEST);
  try {
    export_onnx(net);
    FAIL() << "a Slice layer was exported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer \"halves\" of type Slice cannot be exported"), std::string::npos)
        << e.what();
  }
}

TEST(OnnxExport, BatchStatisticsBatchNormIsRefused) {
  NetParameter param = test::net_from_text(R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
    layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" batch_norm_param { use_global_stats: false } })");
  Net net(param, TEST);
  EXPECT_THROW(export_onnx(net), Error);
}

TEST(OnnxExport, ModelDeclaresOpsetAndKeepsTheBatchDimensionOpen) {
  Net net(test::net_from_text(R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
    layer { name: "prob" type: "Softmax" bottom: "data" top: "prob" })"),
          TEST);
  const onnx::ModelProto model = export_onnx(net);
  EXPECT_EQ(model.ir_version(), kOnnxIrVersion);
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).version(), kOnnxOpset);
  ASSERT_EQ(model.graph().input_size(), 1);
  EXPECT_EQ(model.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  EXPECT_EQ(model.graph().input(0).type().tensor_type().shape().dim(1).dim_value(), 3);
  ASSERT_EQ(model.graph().output_size(), 1);
  EXPECT_EQ(model.graph().output(0).name(), "prob");
}

// Every layer kind the export knows, with Caffe's awkward cases: average pooling over
// padding with a clipped last window, max pooling with ceil rounding, LRN's alpha, Eltwise
// coefficients, inner product on axis 2, Quant with a negative slope, sign and hard tanh.
TEST(OnnxExport, EveryLayerKindMatchesOnnxruntime) {
  SKIP_WITHOUT_ONNXRUNTIME();
  NetParameter param = test::net_from_text(R"(
    layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 11 dim: 10 } } }
    layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
            convolution_param { num_output: 6 kernel_size: 3 pad: 1 stride: 1 group: 1 } }
    layer { name: "bconv" type: "BinaryConvolution" bottom: "data" top: "bconv"
            binary_convolution_param { use_alpha: true }
            convolution_param { num_output: 6 kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 1 stride: 1 bias_term: false } }
    layer { name: "bn" type: "BatchNorm" bottom: "bconv" top: "bconv" }
    layer { name: "sc" type: "Scale" bottom: "bconv" top: "sc" scale_param { bias_term: true } }
    layer { name: "ave" type: "Pooling" bottom: "conv" top: "ave"
            pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
    layer { name: "max" type: "Pooling" bottom: "sc" top: "max"
            pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }
    layer { name: "lrn" type: "LRN" bottom: "ave" top: "lrn" lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 k: 2 } }
    layer { name: "sum" type: "Eltwise" bottom: "lrn" bottom: "max" top: "sum"
            eltwise_param { operation: SUM coeff: 0.5 coeff: -2 } }
    layer { name: "prod" type: "Eltwise" bottom: "lrn" bottom: "max" bottom: "sum" top: "prod"
            eltwise_param { operation: PROD } }
    layer { name: "emax" type: "Eltwise" bottom: "lrn" bottom: "prod" top: "emax" eltwise_param { operation: MAX } }
    layer { name: "cat" type: "Concat" bottom: "sum" bottom: "emax" top: "cat" }
    layer { name: "drop" type: "Dropout" bottom: "cat" top: "cat" }
    layer { name: "qt" type: "Quant" bottom: "cat" top: "qt"
            quant_param { forward_func: "hwgq" centers: 0.5 centers: 1.0 centers: 1.5 negative_slope: 0.25 } }
    layer { name: "sign" type: "Quant" bottom: "cat" top: "sign" quant_param { forward_func: "sign" } }
    layer { name: "htanh" type: "Quant" bottom: "cat" top: "htanh" quant_param { forward_func: "hard_tanh" } }
    layer { name: "mix" type: "Eltwise" bottom: "qt" bottom: "sign" bottom: "htanh" top: "mix" }
    layer { name: "relu" type: "ReLU" bottom: "mix" top: "relu" relu_param { negative_slope: 0.1 } }
    layer { name: "gap" type: "Pooling" bottom: "relu" top: "gap" pooling_param { pool: AVE global_pooling: true } }
    layer { name: "gmp" type: "Pooling" bottom: "relu" top: "gmp" pooling_param { pool: MAX global_pooling: true } }
    layer { name: "g" type: "Concat" bottom: "gap" bottom: "gmp" top: "g" }
    layer { name: "flat" type: "Flatten" bottom: "g" top: "flat" }
    layer { name: "ip" type: "InnerProduct" bottom: "relu" top: "ip" inner_product_param { num_output: 4 axis: 2 } }
    layer { name: "sig" type: "Sigmoid" bottom: "ip" top: "sig" }
    layer { name: "tanh" type: "TanH" bottom: "flat" top: "tanh" }
    layer { name: "bip" type: "BinaryInnerProduct" bottom: "tanh" top: "bip"
            binary_inner_product_param { use_alpha: true } inner_product_param { num_output: 5 } }
    layer { name: "prob" type: "Softmax" bottom: "bip" top: "prob" }
    layer { name: "prob2" type: "Softmax" bottom: "sig" top: "prob2" softmax_param { axis: 2 } })");
  Net net(param, TEST);
  test::randomize_params(&net, 0.3f, 3);
  test::fill_gaussian(net.input_blobs()[0], 5);
  calibrate_batch_norm(net);
  const std::string output = check_cut_export(net, "every layer kind");
  EXPECT_NE(output.find("levels 4"), std::string::npos) << "the hwgq Quant should use all four of its values";
}

// The authors' deploy nets with random weights and calibrated statistics, batch 1.
void check_reference_deploy(const std::string& file) {
  SKIP_WITHOUT_ONNXRUNTIME();
  const std::string dir = test::reference_dir();
  if (dir.empty()) GTEST_SKIP() << "the authors' prototxt files are not at hand";
  NetParameter deploy;
  read_text_proto(dir + "/" + file, &deploy);
  set_batch_size(&deploy, 1);
  NetBuildOptions options;
  options.phase = TEST;
  auto net = build_net(deploy, options);
  test::randomize_params(net.get(), 0.05f, 7);
  test::fill_gaussian(net->input_blobs()[0], 11);
  calibrate_batch_norm(*net);
  const std::string output = check_cut_export(*net, file);
  EXPECT_NE(output.find("levels 4"), std::string::npos) << "Quant outputs should use 0 and all three levels";
}

TEST(OnnxExport, AuthorsAlexNetHwgq) {
  check_reference_deploy("imagenet/alex-hwgq-3ne-clip-poly-320k/deploy.prototxt");
}
TEST(OnnxExport, AuthorsResNet18Hwgq) {
  check_reference_deploy("imagenet/res18-hwgq-3ne-clip-poly-320k/deploy.prototxt");
}
TEST(OnnxExport, AuthorsGoogLeNetHwgq) {
  check_reference_deploy("imagenet/google-hwgq-3ne-clip-poly-320k/deploy.prototxt");
}

// Quant on values exactly at its cuts and their float neighbours: a tie stays in the lower
// cell (Greater, not GreaterOrEqual), -0, the smallest denormal, +-inf and NaN as hwgq.
TEST(OnnxExport, QuantBoundariesAreExact) {
  SKIP_WITHOUT_ONNXRUNTIME();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x{
      -1.f, -0.f, 0.f, std::numeric_limits<float>::denorm_min(), inf, -inf, std::numeric_limits<float>::quiet_NaN()};
  for (float cut : {0.75f, 1.25f}) {
    for (float v : {std::nextafter(cut, 0.f), cut, std::nextafter(cut, 2.f)}) x.push_back(v);
  }
  for (const char* func : {"hwgq", "sign", "hard_tanh", "relu"}) {
    Net net(test::net_from_text(std::string(R"(
      layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: )") +
                                std::to_string(x.size()) + R"( } } }
      layer { name: "qt" type: "Quant" bottom: "data" top: "qt"
              quant_param { forward_func: ")" +
                                func + R"(" centers: 0.5 centers: 1.0 centers: 1.5 } })"),
            TEST);
    std::copy(x.begin(), x.end(), net.input_blobs()[0]->mutable_cpu_data());
    net.forward();
    test::TempDir dir;
    std::string bytes;
    ASSERT_TRUE(export_onnx(net).SerializeToString(&bytes));
    write_file_atomic(dir.file("quant.onnx"), bytes);
    Manifest manifest(dir);
    manifest.add("feed", "data", *net.input_blobs()[0]);
    manifest.add("quant", "qt", *net.output_blobs()[0]);
    std::cout << func << ": " << run_checker(dir.file("quant.onnx"), manifest.write());
  }
}

// LeNet-HWGQ trained briefly on Fashion-MNIST with `hwgq train`, exported with the CLI
// from its train_val, run by onnxruntime on the first 100 test images as users run it
// (no cuts): the scores within 1e-4 and the same class for every image.
TEST(OnnxExport, TrainedLeNetHwgqThroughTheCli) {
  SKIP_WITHOUT_ONNXRUNTIME();
  const std::string data = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(data + "/t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "Fashion-MNIST is not at hand";
  const std::string train_val =
      std::string(HWGQ_SOURCE_DIR) + "/models/fashion_mnist/lenet-hwgq-clipped/train_val.prototxt";
  test::TempDir dir;
  test::write_text(dir.file("solver.prototxt"), "net: \"" + train_val + "\"\n" +
                                                    "base_lr: 0.01 lr_policy: \"poly\" power: 1 momentum: 0.9\n"
                                                    "weight_decay: 0.0005 max_iter: 200 display: 0\n"
                                                    "snapshot_prefix: \"" +
                                                    dir.file("lenet") +
                                                    "\"\n"
                                                    "solver_mode: CPU random_seed: 1\n");
  const auto trained = test::run_hwgq("train --solver=" + dir.file("solver.prototxt"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const std::string weights = dir.file("lenet_iter_200.caffemodel");
  ASSERT_TRUE(std::filesystem::exists(weights)) << trained.output;
  const auto exported = test::run_hwgq("export --format=onnx --model=" + train_val + " --weights=" + weights +
                                       " --output=" + dir.file("lenet.onnx"));
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(exported.output.find("ONNX opset 13"), std::string::npos) << exported.output;

  // hwgq's forward: the TEST net reads the first batch, the deploy net computes the scores.
  NetParameter train_val_param;
  read_text_proto(train_val, &train_val_param);
  NetBuildOptions options;
  options.phase = TEST;
  options.weights = {weights};
  auto test_net = build_net(train_val_param, options);
  test_net->forward();
  const DeployNet derived = deploy_from_train_val(train_val_param, train_val);
  auto deploy = build_net(derived.net, options);
  const Blob& images = *test_net->blob_by_name(derived.data_blob);
  ASSERT_EQ(images.shape(), deploy->input_blobs()[0]->shape());
  std::copy_n(images.cpu_data(), images.count(), deploy->input_blobs()[0]->mutable_cpu_data());
  deploy->forward();
  const Blob& scores = *deploy->output_blobs()[0];
  const Blob& labels = *test_net->blob_by_name(derived.label_blob);
  int correct = 0;
  const int classes = scores.shape(1);
  for (int n = 0; n < scores.shape(0); ++n) {
    const float* s = scores.cpu_data() + n * classes;
    correct += std::max_element(s, s + classes) - s == static_cast<int>(labels.cpu_data()[n]);
  }
  std::cout << "LeNet-HWGQ after 200 iterations: " << correct << " of " << scores.shape(0) << " test images right\n";
  EXPECT_GT(correct, 50) << "200 iterations should learn Fashion-MNIST well beyond chance";

  Manifest manifest(dir);
  manifest.add("feed", derived.data_blob, images);
  manifest.add("float", deploy->output_blob_names()[0], scores);
  std::cout << run_checker(dir.file("lenet.onnx"), manifest.write());
  // And segment by segment, each Quant bit for bit.
  check_cut_export(*deploy, "trained LeNet-HWGQ");
}

TEST(OnnxExport, UnknownFormatIsRefused) {
  test::TempDir dir;
  const std::string model = "models/fashion_mnist/lenet-hwgq-clipped/train_val.prototxt";
  const auto result =
      test::run_hwgq("export --format=tflite --model=" + model + " --weights=" + model + " --output=" + dir.file("o"));
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("--format must be packed or onnx"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hwgq
