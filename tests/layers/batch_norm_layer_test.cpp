#include "hwgq/layers/batch_norm_layer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

constexpr float kEps = 1e-5f;

LayerParameter bn_param(Phase phase) {
  LayerParameter p;
  p.set_name("bn1");
  p.set_type("BatchNorm");
  p.set_phase(phase);
  return p;
}

void set_values(Blob* blob, const std::vector<float>& values) {
  ASSERT_EQ(blob->count(), (int)values.size());
  std::copy(values.begin(), values.end(), blob->mutable_cpu_data());
}

// x[n][c][w] for N = 2, C = 2, H = 1, W = 2. Channel 0 holds 1, 2, 3, 4 (mean 2.5, var 1.25);
// channel 1 holds 0, 0, 4, 4 (mean 2, var 4).
const std::vector<float> kSmall = {1, 2, 0, 0, 3, 4, 4, 4};

TEST(BatchNormLayer, TrainForwardUsesBatchStatistics) {
  auto layer = create_layer(bn_param(TRAIN));
  Blob x({2, 2, 1, 2}), y;
  set_values(&x, kSmall);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  const float k0 = 1.f / std::sqrt(1.25f + kEps), k1 = 1.f / std::sqrt(4.f + kEps);
  const std::vector<float> expected = {-1.5f * k0, -0.5f * k0, -2 * k1, -2 * k1, 0.5f * k0, 1.5f * k0, 2 * k1, 2 * k1};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y.cpu_data()[i], expected[i], 1e-6) << i;
}

TEST(BatchNormLayer, TrainForwardOnTwoAxes) {
  auto layer = create_layer(bn_param(TRAIN));
  Blob x({3, 2}), y;
  // Channel 0: 1, 2, 3 (mean 2, var 2/3); channel 1: 10, 20, 60 (mean 30, var 1400/3).
  set_values(&x, {1, 10, 2, 20, 3, 60});
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  const float k0 = 1.f / std::sqrt(2.f / 3 + kEps), k1 = 1.f / std::sqrt(1400.f / 3 + kEps);
  const std::vector<float> expected = {-k0, -20 * k1, 0, -10 * k1, k0, 30 * k1};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(y.cpu_data()[i], expected[i], 1e-5) << i;
}

TEST(BatchNormLayer, StatisticsAreNotLearnable) {
  auto layer = create_layer(bn_param(TRAIN));
  Blob x({2, 3}), y;
  layer->setup({&x}, {&y});
  ASSERT_EQ(layer->blobs().size(), 3u);
  EXPECT_EQ(layer->blobs()[0]->shape(), (std::vector<int>{3}));
  EXPECT_EQ(layer->blobs()[1]->shape(), (std::vector<int>{3}));
  EXPECT_EQ(layer->blobs()[2]->shape(), (std::vector<int>{1}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(layer->param_propagate_down(i));
    EXPECT_EQ(layer->blobs()[i]->asum_data(), 0.0);
    ASSERT_GT(layer->layer_param().param_size(), i);
    EXPECT_EQ(layer->layer_param().param(i).lr_mult(), 0.f);
    EXPECT_EQ(layer->layer_param().param(i).decay_mult(), 0.f);
  }
}

TEST(BatchNormLayer, PhaseSelectsStatistics) {
  Blob x({2, 3}), y;
  auto train = create_layer(bn_param(TRAIN));
  train->setup({&x}, {&y});
  EXPECT_FALSE(static_cast<BatchNormLayer&>(*train).use_global_stats());
  auto test = create_layer(bn_param(TEST));
  test->setup({&x}, {&y});
  EXPECT_TRUE(static_cast<BatchNormLayer&>(*test).use_global_stats());
  LayerParameter forced = bn_param(TRAIN);
  forced.mutable_batch_norm_param()->set_use_global_stats(true);
  auto global_in_train = create_layer(forced);
  global_in_train->setup({&x}, {&y});
  EXPECT_TRUE(static_cast<BatchNormLayer&>(*global_in_train).use_global_stats());
  // Global statistics in TRAIN leave the running sums alone.
  test::fill_gaussian(&x, 2);
  global_in_train->forward({&x}, {&y});
  for (const auto& blob : global_in_train->blobs()) EXPECT_EQ(blob->asum_data(), 0.0);
}

TEST(BatchNormLayer, RunningAverageOverTwoPasses) {
  LayerParameter p = bn_param(TRAIN);
  p.mutable_batch_norm_param()->set_moving_average_fraction(0.5f);
  auto layer = create_layer(p);
  Blob x({2, 2, 1, 2}), y;
  set_values(&x, kSmall);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  // Pass 1: factor 1; means 2.5, 2; unbiased variances (m = 4) 4/3 * 1.25, 4/3 * 4.
  EXPECT_FLOAT_EQ(layer->blobs()[2]->cpu_data()[0], 1.f);
  EXPECT_FLOAT_EQ(layer->blobs()[0]->cpu_data()[0], 2.5f);
  EXPECT_FLOAT_EQ(layer->blobs()[0]->cpu_data()[1], 2.f);
  EXPECT_FLOAT_EQ(layer->blobs()[1]->cpu_data()[0], 5.f / 3);
  EXPECT_FLOAT_EQ(layer->blobs()[1]->cpu_data()[1], 16.f / 3);

  // Pass 2 on 2x + 1: means 6, 5; biased variances 5, 16.
  std::vector<float> second;
  for (float v : kSmall) second.push_back(2 * v + 1);
  set_values(&x, second);
  layer->forward({&x}, {&y});
  // factor 0.5 * 1 + 1; mean sums 0.5 * 2.5 + 6, 0.5 * 2 + 5;
  // variance sums 0.5 * 5/3 + 4/3 * 5, 0.5 * 16/3 + 4/3 * 16.
  EXPECT_FLOAT_EQ(layer->blobs()[2]->cpu_data()[0], 1.5f);
  EXPECT_FLOAT_EQ(layer->blobs()[0]->cpu_data()[0], 7.25f);
  EXPECT_FLOAT_EQ(layer->blobs()[0]->cpu_data()[1], 6.f);
  EXPECT_FLOAT_EQ(layer->blobs()[1]->cpu_data()[0], 7.5f);
  EXPECT_FLOAT_EQ(layer->blobs()[1]->cpu_data()[1], 24.f);

  // A TEST-phase layer loaded with these blobs normalises with mean 7.25 / 1.5, 6 / 1.5
  // and variance 7.5 / 1.5 = 5, 24 / 1.5 = 16.
  LayerParameter saved;
  layer->to_proto(&saved);
  saved.set_phase(TEST);
  auto test_layer = create_layer(saved);
  Blob z;
  set_values(&x, kSmall);
  test_layer->setup({&x}, {&z});
  test_layer->forward({&x}, {&z});
  const float mean[] = {7.25f / 1.5f, 4.f}, inv_std[] = {1.f / std::sqrt(5.f + kEps), 1.f / std::sqrt(16.f + kEps)};
  for (int i = 0; i < 8; ++i) {
    const int c = (i / 2) % 2;
    EXPECT_NEAR(z.cpu_data()[i], (kSmall[i] - mean[c]) * inv_std[c], 1e-6) << i;
  }
  EXPECT_FLOAT_EQ(test_layer->blobs()[2]->cpu_data()[0], 1.5f);  // TEST does not update
}

TEST(BatchNormLayer, ZeroNormaliserReadsAsZeroStatistics) {
  auto layer = create_layer(bn_param(TEST));
  Blob x({2, 2, 1, 2}), y;
  set_values(&x, kSmall);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y.cpu_data()[i], kSmall[i] / std::sqrt(kEps), 1e-3) << i;
}

TEST(BatchNormLayer, GradientWithBatchStatistics) {
  for (const std::vector<int>& shape : {std::vector<int>{3, 2, 2, 3}, std::vector<int>{5, 3}}) {
    auto layer = create_layer(bn_param(TRAIN));
    Blob x(shape), y;
    test::fill_gaussian(&x, 11, 0.5f, 2.f);
    layer->setup({&x}, {&y});
    EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count()) << shape.size() << "-d";
  }
}

TEST(BatchNormLayer, GradientWithGlobalStatistics) {
  for (const std::vector<int>& shape : {std::vector<int>{2, 3, 2, 2}, std::vector<int>{4, 3}}) {
    auto layer = create_layer(bn_param(TEST));
    Blob x(shape), y;
    test::fill_gaussian(&x, 12);
    layer->setup({&x}, {&y});
    set_values(layer->blobs()[0].get(), {0.2f, -1.f, 3.f});
    set_values(layer->blobs()[1].get(), {1.f, 0.5f, 8.f});
    set_values(layer->blobs()[2].get(), {2.f});
    EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count()) << shape.size() << "-d";
  }
}

// A plain double-precision reference of forward and backward (batch statistics), on a
// shape large enough for the threaded loops.
void reference(const Blob& x_blob, const Blob& dy_blob, std::vector<double>* y, std::vector<double>* dx) {
  const int N = x_blob.shape(0), C = x_blob.shape(1), S = x_blob.count(2);
  const float* x = x_blob.cpu_data();
  const float* dy = dy_blob.cpu_data();
  const double m = double(N) * S;
  y->assign(x_blob.count(), 0.0);
  dx->assign(x_blob.count(), 0.0);
  for (int c = 0; c < C; ++c) {
    double mean = 0, var = 0, a = 0, b = 0;
    for (int n = 0; n < N; ++n)
      for (int s = 0; s < S; ++s) mean += x[(n * C + c) * S + s];
    mean /= m;
    for (int n = 0; n < N; ++n)
      for (int s = 0; s < S; ++s) var += (x[(n * C + c) * S + s] - mean) * (x[(n * C + c) * S + s] - mean);
    var /= m;
    const double k = 1 / std::sqrt(var + kEps);
    for (int n = 0; n < N; ++n)
      for (int s = 0; s < S; ++s) {
        const int i = (n * C + c) * S + s;
        (*y)[i] = (x[i] - mean) * k;
        a += dy[i];
        b += dy[i] * (*y)[i];
      }
    for (int n = 0; n < N; ++n)
      for (int s = 0; s < S; ++s) {
        const int i = (n * C + c) * S + s;
        (*dx)[i] = (dy[i] - a / m - (*y)[i] * b / m) * k;
      }
  }
}

double max_abs_diff(const float* a, const std::vector<double>& b) {
  double worst = 0;
  for (size_t i = 0; i < b.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

void larger_input_matches_reference(const std::vector<int>& shape) {
  Blob x(shape), dy(shape);
  test::fill_gaussian(&x, 21, 3.f, 2.f);
  test::fill_gaussian(&dy, 22);
  std::vector<double> ref_y, ref_dx;
  reference(x, dy, &ref_y, &ref_dx);

  for (bool in_place : {false, true}) {
    Blob input(shape), output;
    std::copy(x.cpu_data(), x.cpu_data() + x.count(), input.mutable_cpu_data());
    Blob* top = in_place ? &input : &output;
    auto layer = create_layer(bn_param(TRAIN));
    layer->setup({&input}, {top});
    layer->forward({&input}, {top});
    EXPECT_LT(max_abs_diff(top->cpu_data(), ref_y), 1e-4) << "in place " << in_place << ", " << shape.size() << "-d";
    // A later in-place layer (ReLU, Quant) overwriting the output must not disturb backward.
    float* y = top->mutable_cpu_data();
    for (int i = 0; i < x.count(); ++i) y[i] = std::max(y[i], 0.f);
    std::copy(dy.cpu_data(), dy.cpu_data() + dy.count(), top->mutable_cpu_diff());
    layer->backward({top}, {true}, {&input});
    EXPECT_LT(max_abs_diff(input.cpu_diff(), ref_dx), 1e-4) << "in place " << in_place << ", " << shape.size() << "-d";
  }
}

TEST(BatchNormLayer, LargerInputMatchesReferenceInAndOutOfPlace) {
  for (const std::vector<int>& shape : {std::vector<int>{4, 8, 32, 32}, std::vector<int>{256, 128}}) {
    larger_input_matches_reference(shape);
  }
}

TEST(BatchNormLayer, GlobalStatisticsInPlace) {
  auto layer = create_layer(bn_param(TEST));
  Blob x({2, 2, 1, 2});
  set_values(&x, kSmall);
  layer->setup({&x}, {&x});
  set_values(layer->blobs()[0].get(), {2.f, 4.f});
  set_values(layer->blobs()[1].get(), {8.f, 2.f});
  set_values(layer->blobs()[2].get(), {2.f});
  layer->forward({&x}, {&x});
  const float mean[] = {1.f, 2.f}, inv_std[] = {1.f / std::sqrt(4.f + kEps), 1.f / std::sqrt(1.f + kEps)};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(x.cpu_data()[i], (kSmall[i] - mean[(i / 2) % 2]) * inv_std[(i / 2) % 2], 1e-6);
  x.set_diff(1.f);
  layer->backward({&x}, {true}, {&x});
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(x.cpu_diff()[i], inv_std[(i / 2) % 2], 1e-6);
}

TEST(BatchNormLayer, RejectsMismatchedStoredBlobs) {
  LayerParameter p = bn_param(TEST);
  for (int count : {3, 3, 1}) {
    BlobProto* blob = p.add_blobs();
    blob->mutable_shape()->add_dim(count);
    for (int i = 0; i < count; ++i) blob->add_data(0.f);
  }
  auto layer = create_layer(p);
  Blob x({2, 2, 1, 2}), y;
  try {
    layer->setup({&x}, {&y});
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bn1"), std::string::npos) << what;
    EXPECT_NE(what.find("3 (3)"), std::string::npos) << what;
    EXPECT_NE(what.find("2 x 2 x 1 x 2"), std::string::npos) << what;
  }
  LayerParameter two = bn_param(TEST);
  two.add_blobs()->add_data(0.f);
  two.add_blobs()->add_data(0.f);
  auto short_layer = create_layer(two);
  Blob x1({2, 1}), y1;
  EXPECT_THROW(short_layer->setup({&x1}, {&y1}), Error);
}

TEST(BatchNormLayer, LoadsStoredBlobsWithLegacyShape) {
  LayerParameter p = bn_param(TEST);
  for (int i = 0; i < 2; ++i) {
    BlobProto* blob = p.add_blobs();
    blob->set_num(1), blob->set_channels(2), blob->set_height(1), blob->set_width(1);
    blob->add_data(4.f), blob->add_data(8.f);
  }
  p.add_blobs()->add_data(4.f);
  auto layer = create_layer(p);
  Blob x({1, 2}), y;
  set_values(&x, {3.f, 2.f});
  layer->setup({&x}, {&y});
  EXPECT_EQ(layer->blobs()[0]->shape(), (std::vector<int>{2}));
  layer->forward({&x}, {&y});
  EXPECT_NEAR(y.cpu_data()[0], 2.f / std::sqrt(1.f + kEps), 1e-6);  // mean 1, var 1
  EXPECT_NEAR(y.cpu_data()[1], 0.f, 1e-6);                          // mean 2, var 2
}

TEST(BatchNormLayer, RejectsBadParametersAndChannelChange) {
  Blob x({2, 3}), y;
  LayerParameter bad_eps = bn_param(TRAIN);
  bad_eps.mutable_batch_norm_param()->set_eps(0.f);
  EXPECT_THROW(create_layer(bad_eps)->setup({&x}, {&y}), Error);
  LayerParameter bad_maf = bn_param(TRAIN);
  bad_maf.mutable_batch_norm_param()->set_moving_average_fraction(1.5f);
  EXPECT_THROW(create_layer(bad_maf)->setup({&x}, {&y}), Error);

  auto layer = create_layer(bn_param(TRAIN));
  layer->setup({&x}, {&y});
  x.reshape({2, 4});
  try {
    layer->forward({&x}, {&y});
    FAIL() << "expected a channel error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2 x 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hwgq
