// Synchronized BatchNorm (sync_across_replicas) without MPI: two threads play two replicas,
// each with one half of a batch and a cross-replica sum that adds both threads' values.
// Their outputs, input gradients and running statistics must be those of one layer given
// the whole batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "hwgq/cross_replica_sum.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/layers/batch_norm_layer.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

// A cross-replica sum for two threads: each call waits for the other thread's call and
// both get the element-wise sum. Counts the calls.
class TwoReplicaSum {
 public:
  CrossReplicaSum for_replica(int replica) {
    return [this, replica](double* values, int count) { exchange(replica, values, count); };
  }
  int calls() const { return calls_; }

 private:
  void exchange(int replica, double* values, int count) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int round = round_;
    contribution_[replica].assign(values, values + count);
    if (++arrived_ == 2) {
      arrived_ = 0;
      ++calls_;
      sizes_agree_ = contribution_[0].size() == contribution_[1].size();
      total_ = contribution_[0];
      for (size_t i = 0; i < total_.size() && i < contribution_[1].size(); ++i) total_[i] += contribution_[1][i];
      ++round_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return round_ != round; });
    }
    EXPECT_TRUE(sizes_agree_) << "the replicas summed vectors of different lengths";
    std::copy(total_.begin(), total_.begin() + std::min<size_t>(count, total_.size()), values);
  }

  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<double> contribution_[2];
  std::vector<double> total_;
  int arrived_ = 0;
  int round_ = 0;
  int calls_ = 0;
  bool sizes_agree_ = true;
};

LayerParameter bn_param(bool sync) {
  LayerParameter p;
  p.set_name("bn");
  p.set_type("BatchNorm");
  p.set_phase(TRAIN);
  p.mutable_batch_norm_param()->set_sync_across_replicas(sync);
  p.mutable_batch_norm_param()->set_moving_average_fraction(0.9f);
  return p;
}

// One layer's results over `passes` forward + backward passes of the same input.
struct Pass {
  Blob y, dx;
  std::vector<std::vector<float>> statistics;  // the three stored blobs after the passes
};

// Runs a layer on x with top gradient dy (in place or not), with `sum` installed for the
// calling thread (none when empty).
Pass run_layer(const LayerParameter& param, const Blob& x, const Blob& dy, bool in_place, int passes,
               const CrossReplicaSum& sum) {
  set_cross_replica_sum(sum);
  auto layer = create_layer(param);
  Pass result;
  Blob bottom, top;
  bottom.reshape_like(x);
  Blob* top_blob = in_place ? &bottom : &top;
  layer->setup({&bottom}, {top_blob});
  for (int pass = 0; pass < passes; ++pass) {
    std::copy(x.cpu_data(), x.cpu_data() + x.count(), bottom.mutable_cpu_data());
    layer->forward({&bottom}, {top_blob});
    result.y.reshape_like(*top_blob);
    std::copy(top_blob->cpu_data(), top_blob->cpu_data() + top_blob->count(), result.y.mutable_cpu_data());
    std::copy(dy.cpu_data(), dy.cpu_data() + dy.count(), top_blob->mutable_cpu_diff());
    layer->backward({top_blob}, {true}, {&bottom});
  }
  result.dx.reshape_like(bottom);
  std::copy(bottom.cpu_diff(), bottom.cpu_diff() + bottom.count(), result.dx.mutable_cpu_data());
  for (const auto& blob : layer->blobs()) {
    result.statistics.emplace_back(blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  set_cross_replica_sum(nullptr);
  return result;
}

// Samples [first, first + count) of a blob whose axis 0 is the sample axis.
Blob samples(const Blob& blob, int first, int count) {
  std::vector<int> shape = blob.shape();
  const int per_sample = blob.count() / shape[0];
  shape[0] = count;
  Blob part(shape);
  std::copy(blob.cpu_data() + size_t(first) * per_sample, blob.cpu_data() + size_t(first + count) * per_sample,
            part.mutable_cpu_data());
  return part;
}

double max_difference(const float* a, const float* b, int count) {
  double worst = 0;
  for (int i = 0; i < count; ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
  return worst;
}

double max_difference(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t k = 0; k < a.size() && k < b.size(); ++k) {
    EXPECT_EQ(a[k].size(), b[k].size());
    worst = std::max(worst, max_difference(a[k].data(), b[k].data(), int(std::min(a[k].size(), b[k].size()))));
  }
  return worst;
}

struct Halves {
  Pass first, second;
  int sum_calls = 0;
};

// The two halves of x (and dy) run by two "replicas" at once.
Halves run_halves(bool sync, const Blob& x, const Blob& dy, bool in_place, int passes) {
  const int half = x.shape(0) / 2;
  const Blob x0 = samples(x, 0, half), x1 = samples(x, half, half);
  const Blob dy0 = samples(dy, 0, half), dy1 = samples(dy, half, half);
  TwoReplicaSum sum;
  Halves result;
  std::thread other(
      [&] { result.second = run_layer(bn_param(sync), x1, dy1, in_place, passes, sum.for_replica(1)); });
  result.first = run_layer(bn_param(sync), x0, dy0, in_place, passes, sum.for_replica(0));
  other.join();
  result.sum_calls = sum.calls();
  return result;
}

// Values of size ~1 (normalised outputs, gradients of a dy of size ~1), summed in double
// on both sides: only the float rounding of the per-channel means may differ.
constexpr double kTolerance = 2e-5;

TEST(BatchNormSync, TwoReplicasWithHalfBatchesMatchOneLayerWithTheWholeBatch) {
  for (const std::vector<int>& shape : {std::vector<int>{6, 3, 2, 5}, std::vector<int>{8, 4}}) {
    for (bool in_place : {false, true}) {
      Blob x(shape), dy(shape);
      test::fill_gaussian(&x, 3, 1.5f, 2.f);
      test::fill_gaussian(&dy, 4, 0.f, 1.f);
      // Make the halves' statistics clearly differ, so per-replica statistics would fail.
      const int per_half = x.count() / 2;
      for (int i = per_half; i < x.count(); ++i) x.mutable_cpu_data()[i] = 3.f * x.cpu_data()[i] - 4.f;
      const int passes = 2;
      const Pass whole = run_layer(bn_param(false), x, dy, in_place, passes, nullptr);
      const Halves halves = run_halves(true, x, dy, in_place, passes);
      const std::string what = std::to_string(shape.size()) + "-d, " + (in_place ? "in place" : "out of place");
      // Per pass: two sums in forward (sums with count, squared deviations), one in backward.
      EXPECT_EQ(halves.sum_calls, 3 * passes) << what;
      EXPECT_LE(max_difference(halves.first.y.cpu_data(), whole.y.cpu_data(), per_half), kTolerance) << what;
      EXPECT_LE(max_difference(halves.second.y.cpu_data(), whole.y.cpu_data() + per_half, per_half), kTolerance)
          << what;
      EXPECT_LE(max_difference(halves.first.dx.cpu_data(), whole.dx.cpu_data(), per_half), kTolerance) << what;
      EXPECT_LE(max_difference(halves.second.dx.cpu_data(), whole.dx.cpu_data() + per_half, per_half), kTolerance)
          << what;
      // Running sums of means and unbiased variances (the variance ~ 10 here) and the
      // normaliser: the global count enters the unbiased correction.
      EXPECT_LE(max_difference(halves.first.statistics, whole.statistics), 1e-4) << what;
      EXPECT_LE(max_difference(halves.second.statistics, whole.statistics), 1e-4) << what;

      // Not synchronized, each replica normalises with its own half's statistics.
      const Halves own = run_halves(false, x, dy, in_place, passes);
      EXPECT_EQ(own.sum_calls, 0) << what;
      EXPECT_GT(max_difference(own.second.y.cpu_data(), whole.y.cpu_data() + per_half, per_half), 0.1) << what;
      EXPECT_GT(max_difference(own.second.statistics, whole.statistics), 0.1) << what;
    }
  }
}

TEST(BatchNormSync, WithoutAnInstalledSumTheOptionChangesNothing) {
  Blob x({4, 3, 2, 2}), dy({4, 3, 2, 2});
  test::fill_gaussian(&x, 5, 0.5f, 2.f);
  test::fill_gaussian(&dy, 6, 0.f, 1.f);
  const Pass plain = run_layer(bn_param(false), x, dy, false, 2, nullptr);
  const Pass sync = run_layer(bn_param(true), x, dy, false, 2, nullptr);
  EXPECT_EQ(max_difference(plain.y.cpu_data(), sync.y.cpu_data(), x.count()), 0.0);
  EXPECT_EQ(max_difference(plain.dx.cpu_data(), sync.dx.cpu_data(), x.count()), 0.0);
  EXPECT_EQ(max_difference(plain.statistics, sync.statistics), 0.0);
}

TEST(BatchNormSync, GlobalStatisticsAreNeverSummed) {
  LayerParameter param = bn_param(true);
  param.mutable_batch_norm_param()->set_use_global_stats(true);
  Blob x({2, 3}), dy({2, 3});
  test::fill_gaussian(&x, 7);
  test::fill_gaussian(&dy, 8);
  int calls = 0;
  run_layer(param, x, dy, false, 1, [&calls](double*, int) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(BatchNormSync, TheFieldSetsTheLayerAndTheSetterOverridesIt) {
  Blob x({2, 3}), y;
  auto off = create_layer(bn_param(false));
  auto on = create_layer(bn_param(true));
  off->setup({&x}, {&y});
  on->setup({&x}, {&y});
  auto& off_bn = dynamic_cast<BatchNormLayer&>(*off);
  EXPECT_FALSE(off_bn.sync_across_replicas());
  EXPECT_TRUE(dynamic_cast<BatchNormLayer&>(*on).sync_across_replicas());
  off_bn.set_sync_across_replicas(true);
  EXPECT_TRUE(off_bn.sync_across_replicas());
}

}  // namespace
}  // namespace hwgq
