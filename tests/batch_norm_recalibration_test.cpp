#include "hwgq/batch_norm_recalibration.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

constexpr int kImages = 6, kRows = 3, kCols = 3, kBatch = 2;

// Pixel (i, r, c) of test::write_idx_pair's images.
float pixel(int i, int r, int c) { return static_cast<float>((i * 7 + r * 3 + c) % 256); }

// Stored statistics of a BatchNorm layer divided by its normaliser: {mean, variance}.
std::pair<float, float> averages(const Layer& bn) {
  const float factor = bn.blobs()[2]->cpu_data()[0];
  return {bn.blobs()[0]->cpu_data()[0] / factor, bn.blobs()[1]->cpu_data()[0] / factor};
}

class BatchNormRecalibration : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_idx_pair(dir_.file("images"), dir_.file("labels"), kImages, kRows, kCols, 3);
  }

  // IdxData (in source order) -> BatchNorm "bn" on one channel, plus a frozen BatchNorm.
  std::string net_text(float moving_average_fraction = 0.9f) const {
    return R"(
      layer { name: "data" type: "IdxData" top: "data" top: "label"
              idx_data_param { images: ")" + dir_.file("images") + R"(" labels: ")" + dir_.file("labels") +
           R"(" batch_size: )" + std::to_string(kBatch) + R"( shuffle: false } }
      layer { name: "bn" type: "BatchNorm" bottom: "data" top: "normalised"
              batch_norm_param { moving_average_fraction: )" +
           std::to_string(moving_average_fraction) + R"( } }
      layer { name: "frozen" type: "BatchNorm" bottom: "data" top: "frozen"
              batch_norm_param { use_global_stats: true } })";
  }

  test::TempDir dir_;
};

TEST_F(BatchNormRecalibration, AveragesTheStatisticsOfTheBatchesWithEqualWeight) {
  Net net(test::net_from_text(net_text()), TRAIN);
  Layer& bn = *net.layer_by_name("bn");
  // Statistics left over from "training": recalibration must replace them entirely.
  for (int i = 0; i < 3; ++i) bn.blobs()[i]->set_data(42.f);
  Layer& frozen = *net.layer_by_name("frozen");
  frozen.blobs()[0]->set_data(1.5f);
  frozen.blobs()[1]->set_data(2.5f);
  frozen.blobs()[2]->set_data(1.f);

  EXPECT_EQ(recalibrate_batch_norm(net, kImages / kBatch), 1);

  // Expected: the plain average over the three batches of each batch's mean and unbiased
  // variance (m = 2 images x 9 pixels per batch).
  const int m = kBatch * kRows * kCols;
  double mean_sum = 0, var_sum = 0;
  for (int b = 0; b < kImages / kBatch; ++b) {
    std::vector<double> values;
    for (int i = b * kBatch; i < (b + 1) * kBatch; ++i)
      for (int r = 0; r < kRows; ++r)
        for (int c = 0; c < kCols; ++c) values.push_back(pixel(i, r, c));
    double mean = 0;
    for (double v : values) mean += v / m;
    double var = 0;
    for (double v : values) var += (v - mean) * (v - mean) / (m - 1);
    mean_sum += mean;
    var_sum += var;
  }
  EXPECT_FLOAT_EQ(bn.blobs()[2]->cpu_data()[0], 3.f);
  EXPECT_NEAR(averages(bn).first, mean_sum / 3, 1e-4);
  EXPECT_NEAR(averages(bn).second, var_sum / 3, 1e-3);
  // A layer that does not collect statistics keeps what it has.
  EXPECT_FLOAT_EQ(frozen.blobs()[0]->cpu_data()[0], 1.5f);
  EXPECT_FLOAT_EQ(frozen.blobs()[1]->cpu_data()[0], 2.5f);
}

TEST_F(BatchNormRecalibration, RestoresTheMovingAverageAfterwards) {
  Net net(test::net_from_text(net_text(0.5f)), TRAIN);
  recalibrate_batch_norm(net, 2);
  net.forward();
  // Normaliser after two equal-weight batches: 2; one moving-average step then makes it
  // 2 * 0.5 + 1 = 2 (it would be 3 had the fraction stayed 1).
  EXPECT_FLOAT_EQ(net.layer_by_name("bn")->blobs()[2]->cpu_data()[0], 2.f);
}

TEST_F(BatchNormRecalibration, BadRequestsAreClearErrors) {
  Net train(test::net_from_text(net_text()), TRAIN);
  try {
    recalibrate_batch_norm(train, 0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("positive number of batches"), std::string::npos) << e.what();
  }
  Net test_net(test::net_from_text(net_text()), TEST);
  try {
    recalibrate_batch_norm(test_net, 3);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("TRAIN phase"), std::string::npos) << e.what();
  }
}

// The solver recalibrates after its last iteration, before the final snapshot, and leaves
// the weights as training made them.
TEST_F(BatchNormRecalibration, SolverRecalibratesBeforeTheFinalSnapshot) {
  auto run = [&](int recalibration_iter, const std::string& prefix) {
    SolverParameter param = test::solver_from_text(
        "base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 max_iter: 2 snapshot: 2 random_seed: 3 "
        "batch_norm_recalibration_iter: " + std::to_string(recalibration_iter) +
        " snapshot_prefix: '" + dir_.file(prefix) + "'");
    *param.mutable_net_param() = test::net_from_text(net_text() + R"(
      layer { name: "ip" type: "InnerProduct" bottom: "normalised" top: "ip"
              inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" })");
    auto solver = create_solver(param, "recalibration_solver.prototxt");
    solver->solve();
    NetParameter snapshot;
    read_binary_proto(dir_.file(prefix) + "_iter_2.caffemodel", &snapshot);
    return snapshot;
  };
  const NetParameter plain = run(0, "plain");
  const NetParameter recalibrated = run(5, "recalibrated");
  auto layer = [](const NetParameter& net, const std::string& name) -> const LayerParameter& {
    for (const auto& l : net.layer())
      if (l.name() == name) return l;
    throw std::runtime_error("no layer " + name);
  };
  // Two training batches with fraction 0.9: 1 * 0.9 + 1; five recalibration batches: 5.
  EXPECT_FLOAT_EQ(layer(plain, "bn").blobs(2).data(0), 1.9f);
  EXPECT_FLOAT_EQ(layer(recalibrated, "bn").blobs(2).data(0), 5.f);
  const auto& w_plain = layer(plain, "ip").blobs(0);
  const auto& w_recalibrated = layer(recalibrated, "ip").blobs(0);
  ASSERT_EQ(w_plain.data_size(), w_recalibrated.data_size());
  for (int i = 0; i < w_plain.data_size(); ++i) EXPECT_EQ(w_plain.data(i), w_recalibrated.data(i)) << i;
}

TEST(BatchNormRecalibrationSolver, NegativeIterationsAreRejected) {
  SolverParameter param = test::solver_from_text("base_lr: 0.1 max_iter: 2 batch_norm_recalibration_iter: -1");
  *param.mutable_net_param() = test::net_from_text(
      R"(layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } })");
  try {
    create_solver(param, "bad_solver.prototxt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("batch_norm_recalibration_iter must not be negative"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hwgq
