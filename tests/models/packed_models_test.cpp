// The authors' AlexNet-HWGQ and ResNet-18-HWGQ deploy nets, lowered to packed layers, on
// random inputs with random weights (BatchNorm statistics taken from a first batch, so
// every quantizer level is used): run layer by layer on the float net's inputs, the packed
// layers give the float net's Quant codes except where the float sum's rounding crosses a
// threshold (counted, and rare); run freely, any image whose class differs is explained
// by such flips.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>
#include <set>
#include <sstream>

#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/deploy/packed_runtime.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/lower_to_packed.hpp"
#include "hwgq/util/io.hpp"
#include "models/model_test_util.hpp"

namespace hwgq {
namespace {

// Sets each BatchNorm's statistics to its input's per-channel mean and variance on the
// current input, layer by layer, so that its outputs are about N(0, 1) (paper 1.2).
void calibrate_batch_norm(Net& net) {
  int done = 0;
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    Layer& layer = *net.layers()[i];
    if (std::string(layer.type()) != "BatchNorm") continue;
    net.forward_from_to(done, i);
    done = i;
    const Blob& x = *net.bottom_vecs(i)[0];
    const int num = x.shape(0), channels = x.shape(1), spatial = x.count(2);
    float* mean = layer.blobs()[0]->mutable_cpu_data();
    float* variance = layer.blobs()[1]->mutable_cpu_data();
    for (int c = 0; c < channels; ++c) {
      double sum = 0, squares = 0;
      for (int n = 0; n < num; ++n) {
        const float* v = x.cpu_data() + (size_t(n) * channels + c) * spatial;
        for (int s = 0; s < spatial; ++s) {
          sum += v[s];
          squares += double(v[s]) * v[s];
        }
      }
      const double count = double(num) * spatial;
      mean[c] = static_cast<float>(sum / count);
      variance[c] = static_cast<float>(std::max(squares / count - (sum / count) * (sum / count), 1e-4));
    }
    layer.blobs()[2]->mutable_cpu_data()[0] = 1.f;
  }
}

// Runs the packed net layer by layer against the float net's values: after each Quant,
// counts the outputs that differ and copies the float outputs in, so that every layer sees
// exactly the float net's input and a flip is counted where the rounding made it, not
// again in every layer it would otherwise spread to. Returns per layer "name: n of m".
std::string compare_resynchronised(Net& float_net, Net& packed, int64_t* values, int64_t* flips) {
  std::ostringstream per_layer;
  for (int i = 0; i < static_cast<int>(packed.layers().size()); ++i) {
    packed.forward_from_to(i, i + 1);
    if (std::string(packed.layers()[i]->type()) != "Quant") continue;
    const std::string& name = packed.blob_names()[packed.top_ids(i)[0]];
    const Blob& a = *float_net.blob_by_name(name);
    Blob& b = *packed.top_vecs(i)[0];
    EXPECT_EQ(a.count(), b.count()) << name;
    int64_t differ = 0;
    for (int k = 0; k < a.count(); ++k) differ += a.cpu_data()[k] != b.cpu_data()[k];
    std::copy_n(a.cpu_data(), a.count(), b.mutable_cpu_data());
    *values += a.count();
    *flips += differ;
    per_layer << "  " << packed.layer_names()[i] << ": " << differ << " of " << a.count() << "\n";
  }
  return per_layer.str();
}

void check_deploy(const std::string& file, int batch, const std::vector<float>& centers = {}) {
  const std::string dir = test::reference_dir();
  if (dir.empty()) GTEST_SKIP() << "the authors' prototxt files are not at hand";
  NetParameter deploy;
  read_text_proto(dir + "/" + file, &deploy);
  set_batch_size(&deploy, batch);
  for (auto& layer : *deploy.mutable_layer()) {
    if (layer.type() != "Quant" || centers.empty()) continue;
    layer.mutable_quant_param()->clear_centers();
    for (float q : centers) layer.mutable_quant_param()->add_centers(q);
    layer.mutable_quant_param()->set_clip_thr(centers.back());
  }
  NetBuildOptions options;
  options.phase = TEST;
  auto float_net = build_net(deploy, options);
  test::randomize_params(float_net.get(), 0.05f, 7);
  Blob& input = *float_net->input_blobs()[0];
  std::mt19937 rng(11);
  std::normal_distribution<float> gaussian(0.f, 1.f);
  for (int i = 0; i < input.count(); ++i) input.mutable_cpu_data()[i] = gaussian(rng);
  calibrate_batch_norm(*float_net);

  PackedModelReport report;
  const PackedModelProto model = lower_to_packed(deploy, *float_net, &report);
  EXPECT_GT(report.packed_layers(), 0);
  // Packed binary weights: at least 25x smaller than float32 (1 bit + a float alpha per filter).
  EXPECT_GE(double(report.packed_float_bytes()) / report.packed_stored_bytes(), 25.0) << report.to_text();
  // Through the file encoding, as `hwgq export` writes it.
  PackedRuntime runtime(decode_packed_model(encode_packed_model(model), file), 0, file);
  Net& packed = runtime.net();

  // A fresh input (the statistics came from the first one).
  for (int i = 0; i < input.count(); ++i) input.mutable_cpu_data()[i] = gaussian(rng);
  std::copy_n(input.cpu_data(), input.count(), runtime.input().mutable_cpu_data());
  float_net->forward();

  // 1. Layer by layer on the float net's inputs: only threshold rounding can differ.
  int64_t values = 0, flips = 0;
  const std::string per_layer = compare_resynchronised(*float_net, packed, &values, &flips);
  std::cout << file << ", every layer on the float net's input: " << flips << " of " << values
            << " Quant outputs differ\n" << per_layer;
  ::testing::Test::RecordProperty("quant_values", std::to_string(values));
  ::testing::Test::RecordProperty("quant_flips", std::to_string(flips));
  EXPECT_LE(double(flips), 1e-4 * double(values)) << per_layer;

  // 2. Free running: the same classes, except where a flip has spread (random weights have
  // no margins, so one flip can change many later codes); every image whose class differs
  // must have a differing Quant output.
  runtime.forward();
  const Blob& a = *float_net->output_blobs().back();
  const Blob& b = runtime.output();
  ASSERT_EQ(a.shape(), b.shape());
  const int classes = a.count() / batch;
  int same = 0;
  for (int n = 0; n < batch; ++n) {
    const float* x = a.cpu_data() + size_t(n) * classes;
    const float* y = b.cpu_data() + size_t(n) * classes;
    same += (std::max_element(x, x + classes) - x) == (std::max_element(y, y + classes) - y);
  }
  int64_t free_values = 0, free_flips = 0;
  for (int i = 0; i < static_cast<int>(packed.layers().size()); ++i) {
    if (std::string(packed.layers()[i]->type()) != "Quant") continue;
    const Blob& fq = *float_net->blob_by_name(packed.blob_names()[packed.top_ids(i)[0]]);
    const Blob& pq = *packed.top_vecs(i)[0];
    for (int k = 0; k < fq.count(); ++k) free_flips += fq.cpu_data()[k] != pq.cpu_data()[k];
    free_values += fq.count();
    std::set<float> levels_used(pq.cpu_data(), pq.cpu_data() + pq.count());
    const size_t levels = centers.empty() ? 4 : centers.size() + 1;
    EXPECT_EQ(levels_used.size(), levels) << packed.layer_names()[i] << " should use 0 and every level";
  }
  std::cout << "free running: " << same << " of " << batch << " images same class, " << free_flips << " of "
            << free_values << " Quant outputs differ\n" << report.to_text();
  if (same < batch) EXPECT_GT(free_flips, 0);
  if (free_flips == 0) {
    for (int k = 0; k < a.count(); ++k) {
      EXPECT_NEAR(a.cpu_data()[k], b.cpu_data()[k], 1e-4f * (1.f + std::fabs(a.cpu_data()[k]))) << k;
    }
  }
}

TEST(PackedModels, AlexNetHwgq) { check_deploy("imagenet/alex-hwgq-3ne-clip-poly-320k/deploy.prototxt", 8); }
TEST(PackedModels, ResNet18Hwgq) { check_deploy("imagenet/res18-hwgq-3ne-clip-poly-320k/deploy.prototxt", 4); }
TEST(PackedModels, AlexNetHwgqNonUniformLevels) {
  // The authors' non-uniform 2-level ablation (alex-hwgq-2n: {0.453, 1.51}, thermometer
  // planes) has the 3-level net's graph; it ships no deploy file, so its levels go into
  // that graph.
  check_deploy("imagenet/alex-hwgq-3ne-clip-poly-320k/deploy.prototxt", 8, {0.453f, 1.51f});
}

}  // namespace
}  // namespace hwgq
