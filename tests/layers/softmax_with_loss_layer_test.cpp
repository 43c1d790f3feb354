#include "hwgq/layers/softmax_with_loss_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter loss_param() {
  LayerParameter p;
  p.set_name("loss");
  p.set_type("SoftmaxWithLoss");
  return p;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

TEST(SoftmaxWithLossLayer, ForwardByHand) {
  auto layer = create_layer(loss_param());
  Blob scores({2, 3}), labels({2}), loss;
  // Probabilities (1/6, 2/6, 3/6) in both rows; labels 2 and 0.
  const float l2 = std::log(2.f), l3 = std::log(3.f);
  set_values(&scores, {0, l2, l3, 7, 7 + l2, 7 + l3});
  set_values(&labels, {2, 0});
  layer->setup({&scores, &labels}, {&loss});
  EXPECT_TRUE(layer->is_loss());
  EXPECT_EQ(loss.num_axes(), 0);
  const float value = layer->forward({&scores, &labels}, {&loss});
  const float expected = (-std::log(0.5f) - std::log(1.f / 6)) / 2;
  EXPECT_NEAR(loss.cpu_data()[0], expected, 1e-5);
  EXPECT_NEAR(value, expected, 1e-5);  // loss weight 1 by default

  layer->backward({&loss}, {true, false}, {&scores, &labels});
  const float expected_diff[] = {1.f / 6, 2.f / 6, 3.f / 6 - 1, 1.f / 6 - 1, 2.f / 6, 3.f / 6};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(scores.cpu_diff()[i], expected_diff[i] / 2, 1e-5) << i;
}

TEST(SoftmaxWithLossLayer, SecondTopHoldsProbabilities) {
  auto layer = create_layer(loss_param());
  Blob scores({2, 2}), labels({2}), loss, prob;
  set_values(&scores, {0, std::log(3.f), 1, 1});
  set_values(&labels, {1, 1});
  layer->setup({&scores, &labels}, {&loss, &prob});
  layer->forward({&scores, &labels}, {&loss, &prob});
  EXPECT_EQ(prob.shape(), scores.shape());
  const float expected[] = {0.25f, 0.75f, 0.5f, 0.5f};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(prob.cpu_data()[i], expected[i], 1e-6);
}

// N = 2, three classes, two positions per sample (1 x 2 spatial); one of the four labels is
// ignored. All scores are 0, so every counted position adds ln 3 and the sum is 3 ln 3.
struct Normalized {
  LossParameter::NormalizationMode mode;
  float divisor;
};

TEST(SoftmaxWithLossLayer, IgnoreLabelAndEachNormalization) {
  const float ln3 = std::log(3.f);
  for (Normalized n : {Normalized{LossParameter::VALID, 3}, Normalized{LossParameter::FULL, 4},
                       Normalized{LossParameter::BATCH_SIZE, 2}, Normalized{LossParameter::NONE, 1}}) {
    LayerParameter p = loss_param();
    p.mutable_loss_param()->set_ignore_label(255);
    p.mutable_loss_param()->set_normalization(n.mode);
    auto layer = create_layer(p);
    Blob scores({2, 3, 1, 2}), labels({2, 1, 1, 2}), loss;
    scores.set_data(0.f);
    set_values(&labels, {0, 255, 2, 1});
    layer->setup({&scores, &labels}, {&loss});
    layer->forward({&scores, &labels}, {&loss});
    EXPECT_NEAR(loss.cpu_data()[0], 3 * ln3 / n.divisor, 1e-5) << "mode " << n.mode;

    layer->backward({&loss}, {true, false}, {&scores, &labels});
    for (int c = 0; c < 3; ++c) {
      // Position (0, w=1) is ignored; (0, w=0) has label 0.
      EXPECT_EQ(scores.cpu_diff()[scores.offset(0, c, 0, 1)], 0.f);
      const float expected = (1.f / 3 - (c == 0 ? 1.f : 0.f)) / n.divisor;
      EXPECT_NEAR(scores.cpu_diff()[scores.offset(0, c, 0, 0)], expected, 1e-6) << "mode " << n.mode;
    }
  }
}

TEST(SoftmaxWithLossLayer, DeprecatedNormalizeFlag) {
  for (bool normalize : {true, false}) {
    LayerParameter p = loss_param();
    p.mutable_loss_param()->set_normalize(normalize);
    auto layer = create_layer(p);
    Blob scores({2, 3, 1, 2}), labels({2, 1, 1, 2}), loss;
    scores.set_data(0.f);
    set_values(&labels, {0, 1, 2, 1});
    layer->setup({&scores, &labels}, {&loss});
    layer->forward({&scores, &labels}, {&loss});
    // VALID divides the 4 ln 3 by 4 positions, BATCH_SIZE by 2 samples.
    EXPECT_NEAR(loss.cpu_data()[0], 4 * std::log(3.f) / (normalize ? 4 : 2), 1e-5) << normalize;
  }
}

TEST(SoftmaxWithLossLayer, AllIgnoredGivesZero) {
  LayerParameter p = loss_param();
  p.mutable_loss_param()->set_ignore_label(-1);
  auto layer = create_layer(p);
  Blob scores({2, 3}), labels({2}), loss;
  test::fill_gaussian(&scores, 91);
  set_values(&labels, {-1, -1});
  layer->setup({&scores, &labels}, {&loss});
  layer->forward({&scores, &labels}, {&loss});
  EXPECT_EQ(loss.cpu_data()[0], 0.f);
  layer->backward({&loss}, {true, false}, {&scores, &labels});
  EXPECT_EQ(scores.asum_diff(), 0.0);
}

TEST(SoftmaxWithLossLayer, LossWeightScalesGradient) {
  LayerParameter p = loss_param();
  p.add_loss_weight(2.5f);
  auto layer = create_layer(p);
  Blob scores({1, 2}), labels({1}), loss;
  set_values(&scores, {0, 0});
  set_values(&labels, {1});
  layer->setup({&scores, &labels}, {&loss});
  const float value = layer->forward({&scores, &labels}, {&loss});
  EXPECT_NEAR(value, 2.5f * std::log(2.f), 1e-5);
  layer->backward({&loss}, {true, false}, {&scores, &labels});
  EXPECT_NEAR(scores.cpu_diff()[0], 2.5f * 0.5f, 1e-6);
  EXPECT_NEAR(scores.cpu_diff()[1], 2.5f * -0.5f, 1e-6);
}

TEST(SoftmaxWithLossLayer, Gradient) {
  for (int mode : {LossParameter::VALID, LossParameter::FULL, LossParameter::BATCH_SIZE, LossParameter::NONE}) {
    LayerParameter p = loss_param();
    p.mutable_loss_param()->set_ignore_label(1);
    p.mutable_loss_param()->set_normalization(LossParameter::NormalizationMode(mode));
    auto layer = create_layer(p);
    Blob scores({2, 4, 2, 1}), labels({2, 2}), loss;
    test::fill_gaussian(&scores, 92);
    set_values(&labels, {0, 1, 3, 2});
    layer->setup({&scores, &labels}, {&loss});
    EXPECT_FALSE(layer->allow_force_backward(1));
    // Labels are skipped by the checker: only the scores are checked.
    EXPECT_EQ(test::check_gradients(*layer, {&scores, &labels}, {&loss}), scores.count()) << "mode " << mode;
  }
}

TEST(SoftmaxWithLossLayer, LabelOutOfRangeNamesLayerLabelAndClasses) {
  auto layer = create_layer(loss_param());
  Blob scores({2, 3}), labels({2}), loss;
  set_values(&labels, {1, 7});
  layer->setup({&scores, &labels}, {&loss});
  try {
    layer->forward({&scores, &labels}, {&loss});
    FAIL() << "expected a label error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"loss\""), std::string::npos) << what;
    EXPECT_NE(what.find("label 7"), std::string::npos) << what;
    EXPECT_NE(what.find("3 classes"), std::string::npos) << what;
  }
  set_values(&labels, {-1, 0});  // -1 is only fine as an ignore_label
  EXPECT_THROW(layer->forward({&scores, &labels}, {&loss}), Error);
}

TEST(SoftmaxWithLossLayer, RejectsLabelShapeAndLabelGradient) {
  Blob scores({2, 3}), labels({3}), loss;
  try {
    create_layer(loss_param())->setup({&scores, &labels}, {&loss});
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("2 x 3"), std::string::npos) << what;
    EXPECT_NE(what.find("3 (3)"), std::string::npos) << what;
  }
  Blob good_labels({2});
  auto layer = create_layer(loss_param());
  layer->setup({&scores, &good_labels}, {&loss});
  layer->forward({&scores, &good_labels}, {&loss});
  EXPECT_THROW(layer->backward({&loss}, {true, true}, {&scores, &good_labels}), Error);
}

}  // namespace
}  // namespace hwgq
