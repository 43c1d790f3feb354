// BatchNorm folded into the Quant layer after it (the fold_batch_norm_quant pass, TEST phase): the fused forward must
// give exactly the unfused BatchNorm-then-Quant output, for every forward function, blob
// layout and in-place combination, including inputs exactly at and next to the thresholds
// moved into the input's space; the fusion must apply only where it is valid; and the
// statistics must be read at forward time.
#include "batch_norm_quant_fusion_test_util.hpp"
#include "hwgq/passes/fold_batch_norm_quant.hpp"

namespace hwgq {
namespace {

// Builds a net and applies the folding pass, as inference callers do.
bool folds(const NetParameter& param, Phase phase) {
  Net net(param, phase);
  fold_batch_norm_quant(net);
  return test::fused(net);
}

using test::copy_statistics;
using test::expect_identical;
using test::fill_input;
using test::fused;
using test::fusion_net;
using test::kInf;
using test::Layout;
using test::net_from_text;
using test::quant_output;
using test::set_statistics;

void compare_fused_to_unfused(const std::string& quant_param, const std::vector<int>& shape, uint64_t seed) {
  for (Layout layout : {Layout{true, true}, Layout{true, false}, Layout{false, true}, Layout{false, false}}) {
    SCOPED_TRACE(quant_param + (layout.bn_in_place ? ", BatchNorm in place" : ", BatchNorm apart") +
                 (layout.quant_in_place ? ", Quant in place" : ", Quant apart") + ", shape " + shape_string(shape));
    NetParameter param = fusion_net(quant_param, shape, layout);
    Net fused_net(param, TEST);
    fold_batch_norm_quant(fused_net);
    param.set_fuse_batch_norm_quant(false);
    Net plain_net(param, TEST);
    fold_batch_norm_quant(plain_net);
    ASSERT_TRUE(fused(fused_net));
    ASSERT_FALSE(fused(plain_net));
    set_statistics(fused_net, seed);
    copy_statistics(fused_net, plain_net);
    for (int round = 0; round < 2; ++round) {
      fill_input(fused_net, seed + 10 + round);
      Blob* x = plain_net.input_blobs()[0];
      std::copy_n(fused_net.input_blobs()[0]->cpu_data(), x->count(), x->mutable_cpu_data());
      fused_net.forward();
      plain_net.forward();
      expect_identical(quant_output(plain_net), quant_output(fused_net), "round " + std::to_string(round));
    }
  }
}

const char* const kTwoBit = "centers: 0.538 centers: 1.076 centers: 1.614 ";

TEST(BatchNormQuantFusion, HwgqMatchesUnfusedExactly) {
  compare_fused_to_unfused(std::string("forward_func: 'hwgq' ") + kTwoBit + "clip_thr: 1.614", {2, 5, 3, 4}, 1);
  compare_fused_to_unfused(std::string("forward_func: 'hwgq' ") + kTwoBit, {3, 7}, 2);  // N x C
  compare_fused_to_unfused(std::string("forward_func: 'hwgq' negative_slope: 0.1 ") + kTwoBit, {2, 3, 5}, 3);
  compare_fused_to_unfused("forward_func: 'hwgq' centers: 0.8", {2, 4, 3, 3}, 4);
}

TEST(BatchNormQuantFusion, ManyCentersMatchUnfusedExactly) {
  std::string centers;
  for (int j = 1; j <= 20; ++j) centers += "centers: " + std::to_string(0.15 * j) + " ";
  compare_fused_to_unfused("forward_func: 'hwgq' " + centers, {2, 5, 3, 4}, 5);
  compare_fused_to_unfused("forward_func: 'hwgq' " + centers, {3, 6}, 6);
}

TEST(BatchNormQuantFusion, SignHardTanhAndReluMatchUnfusedExactly) {
  for (const char* f : {"forward_func: 'sign' backward_func: 'hard_tanh' clip_thr: 1",
                        "forward_func: 'hard_tanh' backward_func: 'hard_tanh'",
                        "forward_func: 'relu' negative_slope: 0.2 clip_thr: 1.5"}) {
    compare_fused_to_unfused(f, {2, 5, 3, 4}, 7);
    compare_fused_to_unfused(f, {4, 6}, 8);
  }
}

// Big enough for the OpenMP paths (32768 elements and more).
TEST(BatchNormQuantFusion, LargeBlobsMatchUnfusedExactly) {
  compare_fused_to_unfused(std::string("forward_func: 'hwgq' ") + kTwoBit + "clip_thr: 1.614", {2, 16, 33, 32}, 9);
  compare_fused_to_unfused("forward_func: 'sign'", {40, 1000}, 10);
}

// A channel whose variance sum is negative (inv_std NaN) or whose mean is infinite cannot
// have its thresholds moved; the fused forward normalises such inputs per element instead.
TEST(BatchNormQuantFusion, BrokenStatisticsStillMatchUnfused) {
  for (const std::string& f : {std::string("forward_func: 'hwgq' ") + kTwoBit, std::string("forward_func: 'sign'")}) {
    for (const std::vector<int>& shape : {std::vector<int>{2, 4, 3, 2}, std::vector<int>{3, 4}}) {
      NetParameter param = fusion_net(f, shape, Layout{true, false});
      Net fused_net(param, TEST);
      fold_batch_norm_quant(fused_net);
      param.set_fuse_batch_norm_quant(false);
      Net plain_net(param, TEST);
      fold_batch_norm_quant(plain_net);
      set_statistics(fused_net, 11);
      Layer* bn = fused_net.layer_by_name("bn");
      bn->blobs()[1]->mutable_cpu_data()[1] = -1.f;   // variance below -eps: inv_std NaN
      bn->blobs()[0]->mutable_cpu_data()[3] = kInf;  // infinite mean
      copy_statistics(fused_net, plain_net);
      fill_input(fused_net, 12);
      Blob* x = plain_net.input_blobs()[0];
      std::copy_n(fused_net.input_blobs()[0]->cpu_data(), x->count(), x->mutable_cpu_data());
      fused_net.forward();
      plain_net.forward();
      expect_identical(quant_output(plain_net), quant_output(fused_net), f + " " + shape_string(shape));
    }
  }
}

// The statistics are read at every forward: a change after construction (a loaded
// .caffemodel, or a training net whose blobs a test net shares) shows in the next forward.
TEST(BatchNormQuantFusion, StatisticsAreReadAtForwardTime) {
  NetParameter param = fusion_net(std::string("forward_func: 'hwgq' ") + kTwoBit, {2, 3, 4, 4}, Layout{true, true});
  Net fused_net(param, TEST);
  fold_batch_norm_quant(fused_net);
  param.set_fuse_batch_norm_quant(false);
  Net plain_net(param, TEST);
  fold_batch_norm_quant(plain_net);
  ASSERT_TRUE(fused(fused_net));
  for (uint64_t seed : {21, 22, 23}) {
    set_statistics(fused_net, seed);
    copy_statistics(fused_net, plain_net);
    fill_input(fused_net, seed);
    Blob* x = plain_net.input_blobs()[0];
    std::copy_n(fused_net.input_blobs()[0]->cpu_data(), x->count(), x->mutable_cpu_data());
    fused_net.forward();
    plain_net.forward();
    expect_identical(quant_output(plain_net), quant_output(fused_net), "seed " + std::to_string(seed));
  }

  // Weights copied in after construction, as `hwgq test --weights` does.
  set_statistics(plain_net, 24);
  NetParameter weights;
  plain_net.to_proto(&weights);
  fused_net.copy_trained_layers_from(weights);
  fill_input(plain_net, 25);
  Blob* x = fused_net.input_blobs()[0];
  std::copy_n(plain_net.input_blobs()[0]->cpu_data(), x->count(), x->mutable_cpu_data());
  plain_net.forward();
  fused_net.forward();
  expect_identical(quant_output(plain_net), quant_output(fused_net), "copied weights");
}

// A test net shares the training net's BatchNorm blobs; each training forward updates them.
TEST(BatchNormQuantFusion, TestNetFollowsTheTrainingNetsStatistics) {
  const NetParameter param = fusion_net(std::string("forward_func: 'hwgq' ") + kTwoBit, {4, 3, 2, 2},
                                        Layout{true, false});
  Net train(param, TRAIN);
  Net test_net(param, TEST);
  fold_batch_norm_quant(test_net);
  NetParameter plain_param(param);
  plain_param.set_fuse_batch_norm_quant(false);
  Net plain(plain_param, TEST);
  fold_batch_norm_quant(plain);
  test_net.share_trained_layers_with(train);
  plain.share_trained_layers_with(train);
  ASSERT_FALSE(fused(train));
  ASSERT_TRUE(fused(test_net));
  std::mt19937_64 gen(31);
  std::normal_distribution<float> dist(0.5f, 2.f);
  for (int step = 0; step < 3; ++step) {
    Blob* t = train.input_blobs()[0];
    for (int i = 0; i < t->count(); ++i) t->mutable_cpu_data()[i] = dist(gen);
    train.forward();  // moves the running statistics
    for (Net* net : {&test_net, &plain}) {
      Blob* x = net->input_blobs()[0];
      for (int i = 0; i < x->count(); ++i) x->mutable_cpu_data()[i] = 0.3f * i - 2.f;
      net->forward();
    }
    expect_identical(quant_output(plain), quant_output(test_net), "step " + std::to_string(step));
  }
}

TEST(BatchNormQuantFusion, BlobBetweenHoldsTheUnnormalisedInput) {
  Net net(fusion_net(std::string("forward_func: 'hwgq' ") + kTwoBit, {2, 3, 2, 2}, Layout{true, false}), TEST);
  fold_batch_norm_quant(net);
  set_statistics(net, 41);
  Blob* x = net.input_blobs()[0];
  for (int i = 0; i < x->count(); ++i) x->mutable_cpu_data()[i] = 0.25f * i;
  net.forward();
  for (int i = 0; i < x->count(); ++i) ASSERT_EQ(net.blob_by_name("x")->cpu_data()[i], 0.25f * i) << i;
}

TEST(BatchNormQuantFusion, AppliesOnlyWhereValid) {
  const std::string q = std::string("forward_func: 'hwgq' ") + kTwoBit;
  // TRAIN phase, even with global statistics.
  {
    NetParameter param = fusion_net(q, {2, 3}, Layout{true, true});
    param.mutable_layer(1)->mutable_batch_norm_param()->set_use_global_stats(true);
    EXPECT_FALSE(folds(param, TRAIN));
  }
  // Switched off, backward forced, or batch statistics in TEST.
  {
    NetParameter param = fusion_net(q, {2, 3}, Layout{true, true});
    param.set_fuse_batch_norm_quant(false);
    EXPECT_FALSE(folds(param, TEST));
  }
  {
    NetParameter param = fusion_net(q, {2, 3}, Layout{true, true});
    param.set_force_backward(true);
    EXPECT_FALSE(folds(param, TEST));
  }
  {
    NetParameter param = fusion_net(q, {2, 3}, Layout{true, true});
    param.mutable_layer(1)->mutable_batch_norm_param()->set_use_global_stats(false);
    EXPECT_FALSE(folds(param, TEST));
  }
  // BatchNorm's top has a second reader (a Split goes in between), or a non-Quant reader.
  {
    Net net(fusion_net(q, {2, 3}, Layout{false, false},
                       "layer { name: 'r' type: 'ReLU' bottom: 'b' top: 'r' }\n"),
            TEST);
    EXPECT_EQ(fold_batch_norm_quant(net), 0);
    EXPECT_FALSE(fused(net));
  }
  {
    Net net(net_from_text("layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 2 dim: 3 } } }\n"
                          "layer { name: 'bn' type: 'BatchNorm' bottom: 'x' top: 'x' }\n"
                          "layer { name: 'r' type: 'ReLU' bottom: 'x' top: 'x' }\n"
                          "layer { name: 'q' type: 'Quant' bottom: 'x' top: 'y' quant_param { " + q + " } }\n"),
            TEST);
    EXPECT_EQ(fold_batch_norm_quant(net), 0);
    EXPECT_FALSE(fused(net));
  }
  // The default: fused, and neither layer has a backward.
  Net net(fusion_net(q, {2, 3}, Layout{true, true}), TEST);
  fold_batch_norm_quant(net);
  EXPECT_TRUE(fused(net));
  EXPECT_TRUE(dynamic_cast<const BatchNormLayer&>(*net.layer_by_name("bn")).folded_into_next());
  EXPECT_FALSE(net.layer_needs_backward(1));
  EXPECT_FALSE(net.layer_needs_backward(2));
}

// In a TEST net with a loss, nothing below the folded pair needs backward any more, and a
// direct backward call on the fused Quant says why it cannot run.
TEST(BatchNormQuantFusion, FoldedPairCutsBackward) {
  Net net(net_from_text(std::string(R"(
layer { name: 'in' type: 'Input' top: 'x' top: 'label' input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
layer { name: 'ip1' type: 'InnerProduct' bottom: 'x' top: 'h' inner_product_param { num_output: 4 } }
layer { name: 'bn' type: 'BatchNorm' bottom: 'h' top: 'h' }
layer { name: 'q' type: 'Quant' bottom: 'h' top: 'h' quant_param { )") + kTwoBit + R"( } }
layer { name: 'ip2' type: 'InnerProduct' bottom: 'h' top: 'out' inner_product_param { num_output: 2 } }
layer { name: 'loss' type: 'SoftmaxWithLoss' bottom: 'out' bottom: 'label' top: 'loss' }
)"),
          TEST);
  EXPECT_EQ(fold_batch_norm_quant(net), 1);
  ASSERT_TRUE(fused(net));
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    const std::string& name = net.layer_names()[i];
    if (name == "ip1" || name == "bn" || name == "q") {
      EXPECT_FALSE(net.layer_needs_backward(i)) << name;
    }
  }
  net.forward();
  net.backward();  // runs ip2 and the loss only
  Layer* q = net.layer_by_name("q");
  EXPECT_THROW(q->backward(net.top_vecs(3), {true}, net.bottom_vecs(3)), Error);
}

}  // namespace
}  // namespace hwgq
