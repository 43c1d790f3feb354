// BatchNorm (batch statistics) + Quant fused for training (pass
// fuse_batch_norm_quant_training): the fused pair must give the unfused Quant output, input
// gradient and running statistics bit for bit, iteration after iteration, for every
// forward and backward function, odd shapes and every in-place layout; LeNet-HWGQ must train
// identically; the pass must fuse exactly the pairs it can and leave the rest alone.
#include <cstring>
#include <random>

#include "batch_norm_quant_fusion_test_util.hpp"
#include "hwgq/cross_replica_sum.hpp"
#include "hwgq/passes/fold_batch_norm_quant.hpp"
#include "hwgq/passes/fuse_batch_norm_quant_training.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

using test::expect_identical;
using test::fusion_net;
using test::Layout;
using test::net_from_text;
using test::quant_output;

bool fused_for_training(const Net& net, const std::string& quant = "q") {
  return dynamic_cast<const QuantLayer&>(*net.layer_by_name(quant)).fused_for_training();
}

// Gaussian inputs around a per-channel offset, some exact zeros and repeated values.
void fill(Blob* blob, std::mt19937_64& gen, int channels, int spatial) {
  std::normal_distribution<float> noise(0.f, 1.f);
  float* data = blob->mutable_cpu_data();
  for (int i = 0; i < blob->count(); ++i) {
    const int c = (i / spatial) % channels;
    data[i] = (c - 1) * 3.f + (1.f + c) * noise(gen);
    if (i % 11 == 3) data[i] = 0.f;
    if (i % 13 == 5 && i > 0) data[i] = data[i - 1];
  }
}

void expect_same_statistics(const Net& plain, const Net& fused, const std::string& what) {
  const Layer* a = plain.layer_by_name("bn");
  const Layer* b = fused.layer_by_name("bn");
  for (int i = 0; i < 3; ++i) expect_identical(*a->blobs()[i], *b->blobs()[i], what + ", BatchNorm blob " + std::to_string(i));
}

// Trains Input -> BatchNorm -> Quant fused and unfused on the same inputs and top
// gradients for three iterations and compares everything after each.
void compare_training(const std::string& quant_param, const std::vector<int>& shape, uint64_t seed) {
  for (Layout layout : {Layout{true, true}, Layout{true, false}, Layout{false, true}, Layout{false, false}}) {
    SCOPED_TRACE(quant_param + (layout.bn_in_place ? ", BatchNorm in place" : ", BatchNorm apart") +
                 (layout.quant_in_place ? ", Quant in place" : ", Quant apart") + ", shape " + shape_string(shape));
    NetParameter param = fusion_net(quant_param, shape, layout);
    // No loss layer: backward reaches the input because the net forces it.
    param.set_force_backward(true);
    param.mutable_layer(1)->mutable_batch_norm_param()->set_moving_average_fraction(0.9f);
    Net fused_net(param, TRAIN);
    ASSERT_EQ(fuse_batch_norm_quant_training(fused_net), 1);
    param.set_fuse_batch_norm_quant(false);
    Net plain_net(param, TRAIN);
    ASSERT_EQ(fuse_batch_norm_quant_training(plain_net), 0);
    ASSERT_TRUE(fused_for_training(fused_net));
    ASSERT_FALSE(fused_for_training(plain_net));

    Blob* fused_x = fused_net.input_blobs()[0];
    Blob* plain_x = plain_net.input_blobs()[0];
    const int C = fused_x->num_axes() > 1 ? fused_x->shape(1) : 1;
    const int S = fused_x->num_axes() > 2 ? fused_x->count(2) : 1;
    std::mt19937_64 gen(seed);
    for (int round = 0; round < 3; ++round) {
      const std::string what = "iteration " + std::to_string(round);
      fill(fused_x, gen, C, S);
      std::copy_n(fused_x->cpu_data(), fused_x->count(), plain_x->mutable_cpu_data());
      fused_net.forward();
      plain_net.forward();
      expect_identical(quant_output(plain_net), quant_output(fused_net), what + ", Quant output");
      expect_same_statistics(plain_net, fused_net, what);
      // The gradient arriving at the Quant's top (its diff may share memory with the input's).
      Blob& fused_top = quant_output(fused_net);
      Blob& plain_top = quant_output(plain_net);
      std::normal_distribution<float> noise(0.f, 1.f);
      for (int i = 0; i < fused_top.count(); ++i) fused_top.mutable_cpu_diff()[i] = noise(gen);
      std::copy_n(fused_top.cpu_diff(), fused_top.count(), plain_top.mutable_cpu_diff());
      fused_net.backward();
      plain_net.backward();
      Blob fused_dx, plain_dx;
      fused_dx.reshape_like(*fused_x);
      plain_dx.reshape_like(*plain_x);
      std::copy_n(fused_x->cpu_diff(), fused_x->count(), fused_dx.mutable_cpu_data());
      std::copy_n(plain_x->cpu_diff(), plain_x->count(), plain_dx.mutable_cpu_data());
      expect_identical(plain_dx, fused_dx, what + ", input gradient");
      // Something flowed back where the batch is more than one value per channel.
      if (fused_x->count() > C) {
        bool nonzero = false;
        for (int i = 0; i < plain_dx.count(); ++i) nonzero = nonzero || plain_dx.cpu_data()[i] != 0.f;
        EXPECT_TRUE(nonzero) << what << ": the input gradient is all zero, the comparison is empty";
      }
    }
  }
}

const char* const kTwoBit = "centers: 0.538 centers: 1.076 centers: 1.614 ";
// Shapes with batch 1 and 3, spatial 1x1 and 5x7, three channels, and an N x C bottom.
const std::vector<std::vector<int>> kOddShapes = {{1, 3, 1, 1}, {3, 3, 1, 1}, {1, 3, 5, 7}, {3, 3, 5, 7}, {3, 3}};

void compare_on_odd_shapes(const std::string& quant_param, uint64_t seed) {
  for (const auto& shape : kOddShapes) compare_training(quant_param, shape, seed++);
}

TEST(BatchNormQuantTrainingFusion, ClippedReluBackwardMatchesUnfused) {
  compare_on_odd_shapes(std::string("forward_func: 'hwgq' backward_func: 'relu' ") + kTwoBit + "clip_thr: 1.614", 1);
}

TEST(BatchNormQuantTrainingFusion, ReluBackwardMatchesUnfused) {
  compare_on_odd_shapes(std::string("forward_func: 'hwgq' backward_func: 'relu' ") + kTwoBit, 10);
  compare_on_odd_shapes(std::string("forward_func: 'hwgq' negative_slope: 0.1 ") + kTwoBit + "clip_thr: 1.2", 20);
}

TEST(BatchNormQuantTrainingFusion, LogTailedBackwardMatchesUnfused) {
  compare_on_odd_shapes(std::string("forward_func: 'hwgq' backward_func: 'log_tailed' ") + kTwoBit, 30);
}

TEST(BatchNormQuantTrainingFusion, HardTanhBackwardMatchesUnfused) {
  compare_on_odd_shapes("forward_func: 'sign' backward_func: 'hard_tanh' clip_thr: 1", 40);
  compare_on_odd_shapes("forward_func: 'hard_tanh' backward_func: 'hard_tanh'", 50);
}

TEST(BatchNormQuantTrainingFusion, NonUniformAndManyLevelsMatchUnfused) {
  compare_on_odd_shapes("forward_func: 'hwgq' centers: 0.4 centers: 1.3 centers: 2.9 clip_thr: 2.9", 60);
  compare_on_odd_shapes("forward_func: 'hwgq' centers: 0.8", 70);
  std::string centers;
  for (int j = 1; j <= 20; ++j) centers += "centers: " + std::to_string(0.15 * j) + " ";
  compare_on_odd_shapes("forward_func: 'hwgq' backward_func: 'log_tailed' " + centers, 80);
  compare_on_odd_shapes("forward_func: 'relu' negative_slope: 0.2 clip_thr: 1.5", 90);
}

// Big enough for the OpenMP paths of both layers (32768 elements and more).
TEST(BatchNormQuantTrainingFusion, LargeBlobsMatchUnfused) {
  compare_training(std::string("forward_func: 'hwgq' ") + kTwoBit + "clip_thr: 1.614", {4, 16, 32, 32}, 100);
  compare_training(std::string("forward_func: 'hwgq' backward_func: 'log_tailed' ") + kTwoBit, {256, 160}, 101);
}

// --sync_batch_norm switches synchronization on after the solver built (and fused) its
// nets: the fused pair then goes through BatchNorm's synchronized statistics and sums too.
TEST(BatchNormQuantTrainingFusion, SynchronizationSetAfterFusingStaysCorrect) {
  struct SumGuard {
    ~SumGuard() { set_cross_replica_sum(nullptr); }
  } guard;
  // Two replicas with the same batch: every sum doubles.
  set_cross_replica_sum([](double* values, int count) {
    for (int i = 0; i < count; ++i) values[i] *= 2.0;
  });
  NetParameter param = fusion_net(std::string("forward_func: 'hwgq' ") + kTwoBit + "clip_thr: 1.614", {3, 3, 5, 7},
                                  Layout{true, true});
  param.set_force_backward(true);
  Net fused_net(param, TRAIN);
  ASSERT_EQ(fuse_batch_norm_quant_training(fused_net), 1);
  param.set_fuse_batch_norm_quant(false);
  Net plain_net(param, TRAIN);
  for (Net* net : {&fused_net, &plain_net}) {
    dynamic_cast<BatchNormLayer&>(*net->layer_by_name("bn")).set_sync_across_replicas(true);
  }
  std::mt19937_64 gen(7);
  fill(fused_net.input_blobs()[0], gen, 3, 35);
  std::copy_n(fused_net.input_blobs()[0]->cpu_data(), 315, plain_net.input_blobs()[0]->mutable_cpu_data());
  fused_net.forward();
  plain_net.forward();
  expect_same_statistics(plain_net, fused_net, "synchronized");
  for (int i = 0; i < 315; ++i) quant_output(fused_net).mutable_cpu_diff()[i] = std::sin(0.1f * i);
  std::copy_n(quant_output(fused_net).cpu_diff(), 315, quant_output(plain_net).mutable_cpu_diff());
  fused_net.backward();
  plain_net.backward();
  Blob a, b;
  a.reshape({315});
  b.reshape({315});
  std::copy_n(fused_net.input_blobs()[0]->cpu_diff(), 315, a.mutable_cpu_data());
  std::copy_n(plain_net.input_blobs()[0]->cpu_diff(), 315, b.mutable_cpu_data());
  expect_identical(b, a, "synchronized input gradient");
}

// One BatchNorm of each kind the pass must leave alone, and one it fuses.
const char* const kMixedNet = R"(
name: 'mixed'
layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 2 dim: 3 dim: 4 dim: 4 } } }
layer { name: 'bn_fused' type: 'BatchNorm' bottom: 'x' top: 'a' }
layer { name: 'q_fused' type: 'Quant' bottom: 'a' top: 'a' quant_param { centers: 0.5 centers: 1 } }
layer { name: 'bn_global' type: 'BatchNorm' bottom: 'a' top: 'b' batch_norm_param { use_global_stats: true } }
layer { name: 'q_global' type: 'Quant' bottom: 'b' top: 'b' quant_param { centers: 0.5 centers: 1 } }
layer { name: 'bn_sync' type: 'BatchNorm' bottom: 'b' top: 'c' batch_norm_param { sync_across_replicas: true } }
layer { name: 'q_sync' type: 'Quant' bottom: 'c' top: 'c' quant_param { centers: 0.5 centers: 1 } }
layer { name: 'bn_two' type: 'BatchNorm' bottom: 'c' top: 'd' }
layer { name: 'q_two_a' type: 'Quant' bottom: 'd' top: 'e' quant_param { centers: 0.5 centers: 1 } }
layer { name: 'q_two_b' type: 'Quant' bottom: 'd' top: 'f' quant_param { centers: 0.5 centers: 1 } }
layer { name: 'bn_scale' type: 'BatchNorm' bottom: 'e' top: 'g' }
layer { name: 'scale' type: 'Scale' bottom: 'g' top: 'g' scale_param { bias_term: true } }
layer { name: 'q_scale' type: 'Quant' bottom: 'g' top: 'g' quant_param { centers: 0.5 centers: 1 } }
layer { name: 'bn_last' type: 'BatchNorm' bottom: 'f' top: 'h' }
)";

TEST(BatchNormQuantTrainingFusion, FusesOnlyWhereValid) {
  Net net(net_from_text(kMixedNet), TRAIN);
  EXPECT_EQ(fuse_batch_norm_quant_training(net), 1);
  EXPECT_TRUE(fused_for_training(net, "q_fused"));
  EXPECT_TRUE(dynamic_cast<const BatchNormLayer&>(*net.layer_by_name("bn_fused")).normalized_by_reader());
  for (const char* q : {"q_global", "q_sync", "q_two_a", "q_two_b", "q_scale"}) {
    EXPECT_FALSE(fused_for_training(net, q)) << q;
  }
  for (const char* bn : {"bn_global", "bn_sync", "bn_two", "bn_scale", "bn_last"}) {
    EXPECT_FALSE(dynamic_cast<const BatchNormLayer&>(*net.layer_by_name(bn)).normalized_by_reader()) << bn;
  }
  // Applying it again finds nothing new.
  EXPECT_EQ(apply_net_pass(net, "fuse_batch_norm_quant_training"), 0);
  // The mixed net still runs forward and backward.
  net.forward();
  net.backward();
}

TEST(BatchNormQuantTrainingFusion, OptOutAndGpuModeLeaveTheNetAlone) {
  NetParameter param = net_from_text(kMixedNet);
  param.set_fuse_batch_norm_quant(false);
  Net off(param, TRAIN);
  EXPECT_EQ(fuse_batch_norm_quant_training(off), 0);
  EXPECT_FALSE(fused_for_training(off, "q_fused"));

  struct ModeGuard {
    Mode saved = Context::get().mode();
    ~ModeGuard() { Context::get().set_mode(saved); }
  } guard;
  // Built on the CPU (a CUDA build without a GPU cannot allocate a net in GPU mode); the
  // pass reads the mode when it runs.
  Net gpu(net_from_text(kMixedNet), TRAIN);
  Context::get().set_mode(Mode::GPU);
  EXPECT_EQ(fuse_batch_norm_quant_training(gpu), 0);
  EXPECT_FALSE(fused_for_training(gpu, "q_fused"));
}

// The inference fold and the training fusion never claim the same Quant.
TEST(BatchNormQuantTrainingFusion, TestNetsKeepTheInferenceFold) {
  const NetParameter param = fusion_net(std::string("forward_func: 'hwgq' ") + kTwoBit, {2, 3, 4, 4}, Layout{true, true});
  Net test_net(param, TEST);
  EXPECT_EQ(fold_batch_norm_quant(test_net), 1);
  EXPECT_EQ(fuse_batch_norm_quant_training(test_net), 0);  // global statistics
  Net train_net(param, TRAIN);
  EXPECT_EQ(fuse_batch_norm_quant_training(train_net), 1);
  EXPECT_EQ(fold_batch_norm_quant(train_net), 0);
  EXPECT_EQ(default_training_passes().front(), "fuse_batch_norm_quant_training");
}

TEST(BatchNormQuantTrainingFusion, FusionRefusesGlobalStatistics) {
  Net net(fusion_net(std::string("forward_func: 'hwgq' ") + kTwoBit, {2, 3, 4, 4}, Layout{true, true}), TEST);
  auto& quant = dynamic_cast<QuantLayer&>(*net.layer_by_name("q"));
  auto* bn = dynamic_cast<BatchNormLayer*>(net.layer_by_name("bn"));
  EXPECT_THROW(quant.fuse_batch_norm_for_training(bn, net.input_blobs()[0]), Error);
}

// LeNet-HWGQ (bench/nets) trained by the solver, which applies the pass, against the same
// net with fuse_batch_norm_quant: false: losses and every weight and statistic identical.
struct Trained {
  std::vector<float> losses;
  NetParameter weights;
};

Trained train_lenet(bool fuse, const std::string& backward_func, int iterations) {
  SolverParameter solver;
  read_text_proto(std::string(HWGQ_SOURCE_DIR) + "/bench/nets/lenet_hwgq.prototxt", solver.mutable_net_param());
  NetParameter* net_param = solver.mutable_net_param();
  set_batch_size(net_param, 16);
  net_param->set_fuse_batch_norm_quant(fuse);
  for (auto& layer : *net_param->mutable_layer()) {
    if (layer.type() == "Quant") layer.mutable_quant_param()->set_backward_func(backward_func);
  }
  solver.set_base_lr(0.01f);
  solver.set_lr_policy("fixed");
  solver.set_momentum(0.9f);
  solver.set_max_iter(iterations);
  solver.set_random_seed(5);
  auto sgd = create_solver(solver, "lenet_hwgq");
  Net& net = sgd->net();
  int fused = 0;
  for (const auto& layer : net.layers()) {
    const auto* quant = dynamic_cast<const QuantLayer*>(layer.get());
    fused += quant && quant->fused_for_training();
  }
  EXPECT_EQ(fused, fuse ? 3 : 0) << "Quant layers fused with their BatchNorm";
  Blob* data = net.input_blobs().at(0);
  Blob* labels = net.input_blobs().at(1);
  Trained out;
  for (int it = 0; it < iterations; ++it) {
    for (int n = 0; n < data->shape(0); ++n) {
      const int label = (n * 3 + it) % 10;
      labels->mutable_cpu_data()[n] = static_cast<float>(label);
      float* image = data->mutable_cpu_data() + n * 28 * 28;
      for (int i = 0; i < 28 * 28; ++i) {
        const bool square = (i / 28) / 7 == label % 4 && (i % 28) / 7 == label / 4;
        image[i] = (square ? 0.8f : 0.f) + 0.2f * static_cast<float>((i * 37 + n * 11 + it) % 17) / 17.f;
      }
    }
    net.clear_param_diffs();
    out.losses.push_back(net.forward_backward());
    sgd->apply_update();
  }
  net.to_proto(&out.weights);
  return out;
}

TEST(BatchNormQuantTrainingFusion, LeNetHwgqTrainsIdentically) {
  for (const char* backward : {"relu", "log_tailed", "hard_tanh"}) {
    SCOPED_TRACE(std::string("backward_func ") + backward);
    const Trained fused = train_lenet(true, backward, 4);
    const Trained plain = train_lenet(false, backward, 4);
    for (size_t i = 0; i < plain.losses.size(); ++i) {
      EXPECT_EQ(std::memcmp(&fused.losses[i], &plain.losses[i], sizeof(float)), 0)
          << "iteration " << i << ": loss fused " << fused.losses[i] << " unfused " << plain.losses[i];
    }
    ASSERT_EQ(fused.weights.layer_size(), plain.weights.layer_size());
    for (int l = 0; l < plain.weights.layer_size(); ++l) {
      const auto& a = plain.weights.layer(l);
      const auto& b = fused.weights.layer(l);
      ASSERT_EQ(a.blobs_size(), b.blobs_size()) << a.name();
      for (int k = 0; k < a.blobs_size(); ++k) {
        EXPECT_EQ(a.blobs(k).SerializeAsString(), b.blobs(k).SerializeAsString()) << a.name() << " blob " << k;
      }
    }
  }
}

}  // namespace
}  // namespace hwgq
