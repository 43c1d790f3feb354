#include "hwgq/net.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::net_from_text;

// Two inputs, an inner product, a ReLU in place, a loss, and an accuracy in TEST only.
const char* const kSmallNet = R"(
name: "small"
layer { name: "input" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 4 dim: 3 } shape { dim: 4 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
        inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 } } }
layer { name: "relu" type: "ReLU" bottom: "ip" top: "ip" }
layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include { phase: TEST } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
)";

void fill_inputs(Net& net) {
  Blob* data = net.blob_by_name("data");
  for (int i = 0; i < data->count(); ++i) data->mutable_cpu_data()[i] = 0.1f * ((i * 7) % 11) - 0.5f;
  Blob* label = net.blob_by_name("label");
  for (int i = 0; i < label->count(); ++i) label->mutable_cpu_data()[i] = i % 5;
}

TEST(Net, PhaseFilteringKeepsAccuracyOnlyInTest) {
  Net train(net_from_text(kSmallNet), TRAIN);
  Net test(net_from_text(kSmallNet), TEST);
  EXPECT_FALSE(train.has_layer("acc"));
  EXPECT_TRUE(test.has_layer("acc"));
  ASSERT_EQ(train.output_blob_names().size(), 1u);
  EXPECT_EQ(train.output_blob_names()[0], "loss");
  EXPECT_EQ(train.output_loss_weights()[0], 1.f);
  ASSERT_EQ(test.output_blob_names().size(), 2u);
}

TEST(Net, StateRulesUseLevelsAndStages) {
  NetState state;
  state.set_phase(TRAIN);
  state.set_level(2);
  state.add_stage("deploy");
  NetStateRule rule;
  rule.set_min_level(1);
  rule.add_stage("deploy");
  EXPECT_TRUE(state_meets_rule(state, rule));
  rule.set_max_level(1);
  EXPECT_FALSE(state_meets_rule(state, rule));
  NetStateRule not_stage;
  not_stage.add_not_stage("deploy");
  EXPECT_FALSE(state_meets_rule(state, not_stage));
  NetStateRule phase_rule;
  phase_rule.set_phase(TEST);
  EXPECT_FALSE(state_meets_rule(state, phase_rule));
}

TEST(Net, ExcludeRuleDropsLayer) {
  NetParameter param = net_from_text(kSmallNet);
  param.mutable_layer(3)->clear_include();
  param.mutable_layer(3)->add_exclude()->set_phase(TRAIN);
  NetState state;
  state.set_phase(TRAIN);
  EXPECT_EQ(filter_net(param, state).layer_size(), 4);
  state.set_phase(TEST);
  EXPECT_EQ(filter_net(param, state).layer_size(), 5);
}

TEST(Net, InsertsSplitForBlobUsedTwice) {
  // In TEST, "ip" (after the in-place ReLU) feeds both accuracy and loss.
  Net net(net_from_text(kSmallNet), TEST);
  ASSERT_TRUE(net.has_layer("ip_relu_0_split"));
  EXPECT_STREQ(net.layer_by_name("ip_relu_0_split")->type(), "Split");
  EXPECT_TRUE(net.has_blob("ip_relu_0_split_0"));
  EXPECT_TRUE(net.has_blob("ip_relu_0_split_1"));
  // "label" comes from the input layer and feeds two layers as well.
  EXPECT_TRUE(net.has_layer("label_input_1_split"));
  fill_inputs(net);
  net.forward();
  const Blob* ip = net.blob_by_name("ip");
  const Blob* copy = net.blob_by_name("ip_relu_0_split_1");
  for (int i = 0; i < ip->count(); ++i) EXPECT_EQ(ip->cpu_data()[i], copy->cpu_data()[i]);
}

TEST(Net, SplitSumsGradientsOfBothConsumers) {
  // "data" feeds two inner products whose losses add; its gradient is the sum of both.
  const char* text = R"(
    force_backward: true
    layer { name: "input" type: "Input" top: "data" top: "label"
            input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
    layer { name: "a" type: "InnerProduct" bottom: "data" top: "a"
            inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 1 } } }
    layer { name: "b" type: "InnerProduct" bottom: "data" top: "b"
            inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 1 } } }
    layer { name: "la" type: "SoftmaxWithLoss" bottom: "a" bottom: "label" top: "la" }
    layer { name: "lb" type: "SoftmaxWithLoss" bottom: "b" bottom: "label" top: "lb" })";
  Context::get().set_random_seed(3);
  Net both(net_from_text(text), TRAIN);
  fill_inputs(both);
  both.forward_backward();
  std::vector<float> sum(both.blob_by_name("data")->cpu_diff(), both.blob_by_name("data")->cpu_diff() + 6);

  // Each branch alone (same weights): their data gradients must add up to the sum.
  std::vector<float> parts(6, 0.f);
  for (const char* drop : {"b", "a"}) {
    NetParameter param = net_from_text(text);
    NetParameter pruned(param);
    pruned.clear_layer();
    for (const auto& layer : param.layer()) {
      if (layer.name() == drop || layer.name() == std::string("l") + drop) continue;
      *pruned.add_layer() = layer;
    }
    Net single(pruned, TRAIN);
    NetParameter weights;
    both.to_proto(&weights);
    single.copy_trained_layers_from(weights);
    fill_inputs(single);
    single.forward_backward();
    for (int i = 0; i < 6; ++i) parts[i] += single.blob_by_name("data")->cpu_diff()[i];
  }
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(sum[i], parts[i], 1e-6);
}

TEST(Net, InPlaceReluSharesTheBlob) {
  Net net(net_from_text(kSmallNet), TRAIN);
  const int relu = 2;
  ASSERT_EQ(net.layer_names()[relu], "relu");
  EXPECT_EQ(net.bottom_vecs(relu)[0], net.top_vecs(relu)[0]);
  fill_inputs(net);
  net.forward();
  const Blob* ip = net.blob_by_name("ip");
  for (int i = 0; i < ip->count(); ++i) EXPECT_GE(ip->cpu_data()[i], 0.f);
}

TEST(Net, SharedParametersUseOneBufferAndSumGradients) {
  const char* text = R"(
    layer { name: "input" type: "Input" top: "x" top: "y" top: "label"
            input_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 3 } shape { dim: 2 } } }
    layer { name: "p" type: "InnerProduct" bottom: "x" top: "p" param { name: "w" } param { name: "b" }
            inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 1 } } }
    layer { name: "q" type: "InnerProduct" bottom: "y" top: "q" param { name: "w" } param { name: "b" }
            inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 1 } } }
    layer { name: "lp" type: "SoftmaxWithLoss" bottom: "p" bottom: "label" top: "lp" }
    layer { name: "lq" type: "SoftmaxWithLoss" bottom: "q" bottom: "label" top: "lq" })";
  NetParameter param = net_from_text(text);
  Net net(param, TRAIN);
  Layer* p = net.layer_by_name("p");
  Layer* q = net.layer_by_name("q");
  EXPECT_EQ(p->blobs()[0]->cpu_data(), q->blobs()[0]->cpu_data());
  EXPECT_EQ(p->blobs()[0]->cpu_diff(), q->blobs()[0]->cpu_diff());
  EXPECT_EQ(net.learnable_params().size(), 2u);  // w and b once each
  Blob* x = net.blob_by_name("x");
  Blob* y = net.blob_by_name("y");
  for (int i = 0; i < 6; ++i) {
    x->mutable_cpu_data()[i] = 0.3f * i - 0.7f;
    y->mutable_cpu_data()[i] = 0.3f * i - 0.7f;
  }
  net.blob_by_name("label")->mutable_cpu_data()[1] = 2;
  net.clear_param_diffs();
  net.forward_backward();
  // Identical inputs through shared weights: the shared gradient is twice one branch's.
  std::vector<float> shared(p->blobs()[0]->cpu_diff(), p->blobs()[0]->cpu_diff() + 9);
  NetParameter single(param);
  single.mutable_layer()->DeleteSubrange(4, 1);  // drop lq
  single.mutable_layer()->DeleteSubrange(2, 1);  // and q
  Net one(single, TRAIN);
  NetParameter weights;
  net.to_proto(&weights);
  one.copy_trained_layers_from(weights);
  for (int i = 0; i < 6; ++i) one.blob_by_name("x")->mutable_cpu_data()[i] = 0.3f * i - 0.7f;
  one.blob_by_name("label")->mutable_cpu_data()[1] = 2;
  one.clear_param_diffs();
  one.forward_backward();
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(shared[i], 2 * one.layer_by_name("p")->blobs()[0]->cpu_diff()[i], 1e-5);
}

TEST(Net, LrMultZeroMeansNoParameterGradient) {
  NetParameter param = net_from_text(kSmallNet);
  param.mutable_layer(1)->add_param()->set_lr_mult(0);
  param.mutable_layer(1)->add_param()->set_lr_mult(0);
  Net net(param, TRAIN);
  EXPECT_FALSE(net.layer_by_name("ip")->param_propagate_down(0));
  EXPECT_FALSE(net.layer_needs_backward(1));  // nothing below needs a gradient either
}

void expect_error_containing(const std::function<void()>& action, const std::vector<std::string>& parts) {
  try {
    action();
    ADD_FAILURE() << "expected hwgq::Error";
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "error must be one line: " << message;
  }
}

TEST(NetErrors, UnknownLayerTypeListsKnownTypes) {
  NetParameter param = net_from_text(kSmallNet);
  param.mutable_layer(2)->set_type("Relu");
  expect_error_containing([&] { Net net(param, TRAIN); },
                          {"\"relu\"", "unknown type \"Relu\"", "InnerProduct", "ReLU", "SoftmaxWithLoss"});
}

TEST(NetErrors, MissingBottomNamesLayerAndBlob) {
  NetParameter param = net_from_text(kSmallNet);
  param.mutable_layer(1)->set_bottom(0, "dta");
  expect_error_containing([&] { Net net(param, TRAIN, "my.prototxt"); },
                          {"my.prototxt", "\"ip\"", "\"dta\"", "no earlier layer produces"});
}

TEST(NetErrors, SyntaxErrorNamesFileLineAndColumn) {
  test::TempDir dir;
  const std::string path = dir.file("broken.prototxt");
  test::write_text(path, "name: \"x\"\nlayer {\n  name: \"a\"\n  type \"Input\"\n}\n");
  expect_error_containing([&] { Net net(path, TRAIN); }, {path + ":4:8:"});
}

TEST(NetErrors, WeightsWithOtherShapesNameLayerAndBothShapes) {
  Net net(net_from_text(kSmallNet), TRAIN);
  NetParameter other_param = net_from_text(kSmallNet);
  other_param.mutable_layer(1)->mutable_inner_product_param()->set_num_output(7);
  Net other(other_param, TRAIN);
  NetParameter weights;
  other.to_proto(&weights);
  test::TempDir dir;
  write_binary_proto(weights, dir.file("w.caffemodel"));
  expect_error_containing([&] { net.copy_trained_layers_from(dir.file("w.caffemodel")); },
                          {dir.file("w.caffemodel"), "\"ip\"", "7 x 3", "5 x 3"});
}

TEST(NetErrors, MissingAndTruncatedWeightsNameThePath) {
  Net net(net_from_text(kSmallNet), TRAIN);
  test::TempDir dir;
  expect_error_containing([&] { net.copy_trained_layers_from(dir.file("absent.caffemodel")); },
                          {dir.file("absent.caffemodel")});
  NetParameter weights;
  net.to_proto(&weights);
  std::string bytes;
  weights.SerializeToString(&bytes);
  write_file_atomic(dir.file("cut.caffemodel"), bytes.substr(0, bytes.size() / 2));
  expect_error_containing([&] { net.copy_trained_layers_from(dir.file("cut.caffemodel")); },
                          {dir.file("cut.caffemodel")});
}

TEST(NetErrors, NonFiniteWeightsAreRefusedWithTheLayerName) {
  Net net(net_from_text(kSmallNet), TRAIN);
  NetParameter weights;
  net.to_proto(&weights);
  const float before = net.layer_by_name("ip")->blobs()[0]->cpu_data()[0];
  for (auto& layer : *weights.mutable_layer()) {
    if (layer.name() == "ip") layer.mutable_blobs(1)->set_data(0, std::nanf(""));
    if (layer.name() == "ip") layer.mutable_blobs(0)->set_data(0, before + 1.f);
  }
  test::TempDir dir;
  write_binary_proto(weights, dir.file("nan.caffemodel"));
  expect_error_containing([&] { net.copy_trained_layers_from(dir.file("nan.caffemodel")); },
                          {dir.file("nan.caffemodel"), "\"ip\" blob 1", "NaN or Inf"});
  // Refused as a whole: blob 0, before the bad blob, is not copied either.
  EXPECT_FLOAT_EQ(net.layer_by_name("ip")->blobs()[0]->cpu_data()[0], before);
}

TEST(NetErrors, WeightsMatchingNoLayerEmptyFilesAndFoldersAreErrors) {
  Net net(net_from_text(kSmallNet), TRAIN);
  NetParameter weights;
  net.to_proto(&weights);
  for (auto& layer : *weights.mutable_layer()) layer.set_name("renamed_" + layer.name());
  test::TempDir dir;
  write_binary_proto(weights, dir.file("other.caffemodel"));
  expect_error_containing([&] { net.copy_trained_layers_from(dir.file("other.caffemodel")); },
                          {"no layer of the weights matches", "ip"});
  write_file_atomic(dir.file("empty.caffemodel"), "");
  expect_error_containing([&] { net.copy_trained_layers_from(dir.file("empty.caffemodel")); }, {"is empty"});
  expect_error_containing([&] { net.copy_trained_layers_from(dir.path()); }, {"is a folder"});
  // Parses as a NetParameter (a name only) but holds no layers.
  NetParameter named;
  named.set_name("just a name");
  write_binary_proto(named, dir.file("named.caffemodel"));
  expect_error_containing([&] { net.copy_trained_layers_from(dir.file("named.caffemodel")); }, {"holds no layers"});
}

TEST(NetErrors, NetWithoutLayersIsAnError) {
  test::TempDir dir;
  test::write_text(dir.file("comments.prototxt"), "# only a comment\n");
  expect_error_containing([&] { Net net(dir.file("comments.prototxt"), TRAIN); },
                          {dir.file("comments.prototxt"), "defines no layers"});
}

TEST(NetErrors, InPlaceOnlyWhereAllowed) {
  NetParameter param = net_from_text(kSmallNet);
  param.mutable_layer(1)->set_top(0, "data");
  expect_error_containing([&] { Net net(param, TRAIN); }, {"\"ip\"", "cannot run in place"});
}

TEST(Net, WeightsRoundTripThroughCaffemodel) {
  Context::get().set_random_seed(11);
  Net a(net_from_text(kSmallNet), TRAIN);
  Context::get().set_random_seed(12);
  Net b(net_from_text(kSmallNet), TRAIN);
  NetParameter weights;
  a.to_proto(&weights);
  test::TempDir dir;
  write_binary_proto(weights, dir.file("a.caffemodel"));
  b.copy_trained_layers_from(dir.file("a.caffemodel"));
  const Blob* wa = a.layer_by_name("ip")->blobs()[0].get();
  const Blob* wb = b.layer_by_name("ip")->blobs()[0].get();
  for (int i = 0; i < wa->count(); ++i) EXPECT_EQ(wa->cpu_data()[i], wb->cpu_data()[i]);
}

TEST(Net, SetBatchSizeChangesInputs) {
  NetParameter param = net_from_text(kSmallNet);
  set_batch_size(&param, 9);
  Net net(param, TRAIN);
  EXPECT_EQ(net.blob_by_name("data")->shape(0), 9);
  EXPECT_EQ(net.blob_by_name("label")->shape(0), 9);
}

TEST(Net, LegacyInputFieldsBecomeAnInputLayer) {
  const char* text = R"(
    input: "data" input_dim: 2 input_dim: 1 input_dim: 3 input_dim: 3
    layer { name: "relu" type: "ReLU" bottom: "data" top: "out" })";
  Net net(net_from_text(text), TEST);
  EXPECT_EQ(net.blob_by_name("data")->shape(), std::vector<int>({2, 1, 3, 3}));
  EXPECT_EQ(net.input_blobs().size(), 1u);
}

}  // namespace
}  // namespace hwgq
