#include "hwgq/layers/accuracy_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "hwgq/layer_registry.hpp"

namespace hwgq {
namespace {

LayerParameter accuracy_param(int top_k = 1) {
  LayerParameter p;
  p.set_name("accuracy");
  p.set_type("Accuracy");
  p.mutable_accuracy_param()->set_top_k(top_k);
  return p;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

// Row 0: label 1 is the maximum. Row 1: label 2 is the smallest. Row 2: label 1 ties with
// class 0 for the maximum. Row 3: label 0 is second.
const std::vector<float> kScores = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.4f, 0.4f, 0.2f, 0.3f, 0.6f, 0.1f};
const std::vector<float> kLabels = {1, 2, 1, 0};

float accuracy(LayerParameter p, Blob* per_class = nullptr) {
  auto layer = create_layer(p);
  Blob scores({4, 3}), labels({4}), top;
  set_values(&scores, kScores);
  set_values(&labels, kLabels);
  BlobVec tops = {&top};
  if (per_class) tops.push_back(per_class);
  layer->setup({&scores, &labels}, tops);
  layer->forward({&scores, &labels}, tops);
  EXPECT_EQ(top.num_axes(), 0);
  return top.cpu_data()[0];
}

TEST(AccuracyLayer, TopOneWithTies) {
  // Rows 0 and 2 (the tie counts for the label).
  EXPECT_FLOAT_EQ(accuracy(accuracy_param(1)), 0.5f);
}

TEST(AccuracyLayer, TopK) {
  EXPECT_FLOAT_EQ(accuracy(accuracy_param(2)), 0.75f);
  EXPECT_FLOAT_EQ(accuracy(accuracy_param(3)), 1.f);
}

TEST(AccuracyLayer, NanScoresCountAsWrong) {
  // Row 0: all NaN (a diverged net). Row 1: NaN at the label. Row 2: NaN elsewhere, the
  // label otherwise the maximum. Row 3: finite, label the maximum. Only row 3 is right.
  const float nan = std::nanf("");
  auto layer = create_layer(accuracy_param(1));
  Blob scores({4, 3}), labels({4}), top;
  set_values(&scores, {nan, nan, nan, 0.1f, nan, 0.2f, nan, 0.9f, 0.1f, 0.1f, 0.2f, 0.7f});
  set_values(&labels, {0, 1, 1, 2});
  layer->setup({&scores, &labels}, {&top});
  layer->forward({&scores, &labels}, {&top});
  EXPECT_FLOAT_EQ(top.cpu_data()[0], 0.25f);
}

TEST(AccuracyLayer, TieAtTheKthPlace) {
  // Label 2 ties class 1 for second place: one score is strictly greater, so top-2 has it.
  auto layer = create_layer(accuracy_param(2));
  Blob scores({1, 4}), labels({1}), top;
  set_values(&scores, {0.9f, 0.5f, 0.5f, 0.1f});
  set_values(&labels, {2});
  layer->setup({&scores, &labels}, {&top});
  layer->forward({&scores, &labels}, {&top});
  EXPECT_FLOAT_EQ(top.cpu_data()[0], 1.f);
  set_values(&scores, {0.9f, 0.6f, 0.5f, 0.5f});
  layer->forward({&scores, &labels}, {&top});
  EXPECT_FLOAT_EQ(top.cpu_data()[0], 0.f);
}

TEST(AccuracyLayer, PerClass) {
  Blob per_class;
  accuracy(accuracy_param(1), &per_class);
  ASSERT_EQ(per_class.shape(), (std::vector<int>{3}));
  EXPECT_FLOAT_EQ(per_class.cpu_data()[0], 0.f);
  EXPECT_FLOAT_EQ(per_class.cpu_data()[1], 1.f);
  EXPECT_FLOAT_EQ(per_class.cpu_data()[2], 0.f);
}

TEST(AccuracyLayer, IgnoreLabel) {
  LayerParameter p = accuracy_param(1);
  p.mutable_accuracy_param()->set_ignore_label(2);
  Blob per_class;
  EXPECT_FLOAT_EQ(accuracy(p, &per_class), 2.f / 3);
  EXPECT_FLOAT_EQ(per_class.cpu_data()[2], 0.f);  // absent class
}

TEST(AccuracyLayer, ClassesAlongAxisWithSpatialPositions) {
  auto layer = create_layer(accuracy_param(1));
  Blob scores({1, 3, 1, 2}), labels({1, 1, 1, 2}), top;
  // Position 0 scores (1, 5, 2), position 1 scores (4, 0, 3).
  set_values(&scores, {1, 4, 5, 0, 2, 3});
  set_values(&labels, {1, 2});
  layer->setup({&scores, &labels}, {&top});
  layer->forward({&scores, &labels}, {&top});
  EXPECT_FLOAT_EQ(top.cpu_data()[0], 0.5f);
}

TEST(AccuracyLayer, HasNoGradient) {
  auto layer = create_layer(accuracy_param(1));
  EXPECT_FALSE(layer->allow_force_backward(0));
  EXPECT_FALSE(layer->allow_force_backward(1));
  Blob scores({4, 3}), labels({4}), top;
  set_values(&scores, kScores);
  set_values(&labels, kLabels);
  scores.set_diff(3.f);
  layer->setup({&scores, &labels}, {&top});
  layer->forward({&scores, &labels}, {&top});
  layer->backward({&top}, {true, false}, {&scores, &labels});
  EXPECT_EQ(scores.asum_diff(), 3.0 * 12);
}

TEST(AccuracyLayer, Errors) {
  Blob scores({4, 3}), labels({4}), top;
  set_values(&scores, kScores);
  set_values(&labels, kLabels);
  EXPECT_THROW(create_layer(accuracy_param(4))->setup({&scores, &labels}, {&top}), Error);
  EXPECT_THROW(create_layer(accuracy_param(0))->setup({&scores, &labels}, {&top}), Error);
  Blob few_labels({3});
  EXPECT_THROW(create_layer(accuracy_param(1))->setup({&scores, &few_labels}, {&top}), Error);

  auto layer = create_layer(accuracy_param(1));
  layer->setup({&scores, &labels}, {&top});
  set_values(&labels, {1, 2, 3, 0});
  try {
    layer->forward({&scores, &labels}, {&top});
    FAIL() << "expected a label error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"accuracy\""), std::string::npos) << what;
    EXPECT_NE(what.find("label 3"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace hwgq
