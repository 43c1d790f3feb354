#include "hwgq/layers/batch_norm_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>

namespace hwgq {

namespace {

// Below this many elements the thread start-up costs more than the loops.
constexpr int kParallelMin = 1 << 15;

// Sums of one contiguous row are taken in float (vectorised), the rows' sums in double, so
// long channels (N x H x W in the millions) keep their precision.
inline float row_sum(const float* row, int n) {
  float r = 0.f;
#pragma omp simd reduction(+ : r)
  for (int i = 0; i < n; ++i) r += row[i];
  return r;
}

inline float row_sum_sq_dev(const float* row, int n, float mean) {
  float r = 0.f;
#pragma omp simd reduction(+ : r)
  for (int i = 0; i < n; ++i) {
    const float d = row[i] - mean;
    r += d * d;
  }
  return r;
}

// Per row of backward, the sums of dy and of dy * y (y = (x - mu) * k) in a fixed order:
// element i goes to partial sum i % kLanes, and the partial sums are added in lane order.
// The plain vectorised reduction may first peel the elements before an aligned address,
// so the same values summed from a blob and from a fused reader's buffer (at another
// alignment) could round differently; this order depends only on the row's length.
constexpr int kLanes = 16;

inline void row_gradient_sums(const float* g, const float* x, int n, float mu, float k, float* sum_g,
                              float* sum_gy) {
  float a[kLanes] = {};
  float b[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
#pragma omp simd
    for (int j = 0; j < kLanes; ++j) {
      a[j] += g[i + j];
      b[j] += g[i + j] * ((x[i + j] - mu) * k);
    }
  }
  for (int j = 0; i + j < n; ++j) {
    a[j] += g[i + j];
    b[j] += g[i + j] * ((x[i + j] - mu) * k);
  }
  float ra = 0.f, rb = 0.f;
  for (int j = 0; j < kLanes; ++j) {
    ra += a[j];
    rb += b[j];
  }
  *sum_g = ra;
  *sum_gy = rb;
}

}  // namespace

void BatchNormLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const BatchNormParameter& p = param_.batch_norm_param();
  use_global_stats_ = p.has_use_global_stats() ? p.use_global_stats() : phase() == TEST;
  moving_average_fraction_ = p.moving_average_fraction();
  configured_moving_average_fraction_ = moving_average_fraction_;
  eps_ = p.eps();
  sync_across_replicas_ = p.sync_across_replicas();
  HWGQ_REQUIRE(moving_average_fraction_ >= 0.f && moving_average_fraction_ <= 1.f,
               where() << "moving_average_fraction must lie in [0, 1], got " << moving_average_fraction_);
  HWGQ_REQUIRE(eps_ > 0.f, where() << "eps must be positive, got " << eps_);
  HWGQ_REQUIRE(bottom[0]->num_axes() >= 1, where() << "needs a bottom with at least one axis, got "
                                                   << bottom[0]->shape_string());
  channels_ = bottom[0]->num_axes() > 1 ? bottom[0]->shape(1) : 1;

  const std::vector<std::vector<int>> shapes = {{channels_}, {channels_}, {1}};
  if (blobs_.empty()) {
    for (const auto& shape : shapes) {
      auto blob = std::make_shared<Blob>(shape);
      blob->set_data(0.f);
      blobs_.push_back(blob);
    }
  } else {
    HWGQ_REQUIRE(blobs_.size() == 3, where() << "expects 3 stored blobs (mean, variance, normaliser), got "
                                             << blobs_.size());
    const char* names[] = {"mean", "variance", "normaliser"};
    for (int i = 0; i < 3; ++i) {
      // Older files may store the vectors with padded legacy axes (1 x C x 1 x 1): the
      // values are what matter.
      HWGQ_REQUIRE(blobs_[i]->count() == shapes[i][0],
                   where() << "stored " << names[i] << " blob has shape " << blobs_[i]->shape_string() << " but "
                           << hwgq::shape_string(shapes[i]) << " is expected for bottom "
                           << bottom[0]->shape_string());
      blobs_[i]->reshape(shapes[i]);
    }
  }
  // The statistics are estimated, not learned: no gradient, and the solver must neither
  // step nor decay them (Caffe marks them with lr_mult 0 the same way).
  for (int i = 0; i < 3; ++i) {
    set_param_propagate_down(i, false);
    ParamSpec* spec = i < param_.param_size() ? param_.mutable_param(i) : param_.add_param();
    spec->set_lr_mult(0.f);
    spec->set_decay_mult(0.f);
  }
  mean_.assign(channels_, 0.f);
  variance_.assign(channels_, 0.f);
  inv_std_.assign(channels_, 0.f);
}

void BatchNormLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& b = *bottom[0];
  const int channels = b.num_axes() > 1 ? b.shape(1) : 1;
  HWGQ_REQUIRE(channels == channels_, where() << "was set up for " << channels_ << " channels but bottom has shape "
                                              << b.shape_string());
  num_ = b.shape(0);
  spatial_ = b.num_axes() > 2 ? b.count(2) : 1;
  if (bottom[0] != top[0]) top[0]->reshape_like(b);
}

const CrossReplicaSum* BatchNormLayer::replica_sum() const {
  const CrossReplicaSum& sum = cross_replica_sum();
  return sync_across_replicas_ && sum ? &sum : nullptr;
}

void BatchNormLayer::batch_statistics(const float* x) {
  const int C = channels_, S = spatial_, N = num_;
  const double m = double(N) * S;
  batch_count_ = m;
  if (const CrossReplicaSum* sum = replica_sum()) {
    synchronized_batch_statistics(x, *sum);
    return;
  }
  if (S == 1) {
    // N x C: rows are samples, so accumulate across rows with the channels vectorised.
    std::vector<double> sum(C, 0.0), sq(C, 0.0);
    for (int n = 0; n < N; ++n) {
      const float* row = x + size_t(n) * C;
      for (int c = 0; c < C; ++c) sum[c] += row[c];
    }
    for (int c = 0; c < C; ++c) mean_[c] = static_cast<float>(sum[c] / m);
    for (int n = 0; n < N; ++n) {
      const float* row = x + size_t(n) * C;
      for (int c = 0; c < C; ++c) {
        const double d = double(row[c]) - mean_[c];
        sq[c] += d * d;
      }
    }
    for (int c = 0; c < C; ++c) variance_[c] = static_cast<float>(sq[c] / m);
  } else {
    // Two passes (mean, then squared deviations) rather than E[x^2] - E[x]^2, which
    // cancels badly when |mean| >> std; the channel stays in cache between the passes.
#pragma omp parallel for if (size_t(N) * C * S >= size_t(kParallelMin))
    for (int c = 0; c < C; ++c) {
      double sum = 0.0;
      for (int n = 0; n < N; ++n) sum += row_sum(x + (size_t(n) * C + c) * S, S);
      const float mean = static_cast<float>(sum / m);
      double sq = 0.0;
      for (int n = 0; n < N; ++n) sq += row_sum_sq_dev(x + (size_t(n) * C + c) * S, S, mean);
      mean_[c] = mean;
      variance_[c] = static_cast<float>(sq / m);
    }
  }
  for (int c = 0; c < C; ++c) inv_std_[c] = 1.f / std::sqrt(variance_[c] + eps_);
}

// The same two passes as batch_statistics, each pass's per-channel sums (and, with the
// first, the count) added over all replicas before they are divided.
void BatchNormLayer::synchronized_batch_statistics(const float* x, const CrossReplicaSum& sum) {
  const int C = channels_, S = spatial_, N = num_;
  std::vector<double> totals(C + 1, 0.0);
  if (S == 1) {
    for (int n = 0; n < N; ++n) {
      const float* row = x + size_t(n) * C;
      for (int c = 0; c < C; ++c) totals[c] += row[c];
    }
  } else {
#pragma omp parallel for if (size_t(N) * C * S >= size_t(kParallelMin))
    for (int c = 0; c < C; ++c) {
      double total = 0.0;
      for (int n = 0; n < N; ++n) total += row_sum(x + (size_t(n) * C + c) * S, S);
      totals[c] = total;
    }
  }
  totals[C] = double(N) * S;
  sum(totals.data(), C + 1);
  batch_count_ = totals[C];
  const double m = batch_count_;
  for (int c = 0; c < C; ++c) mean_[c] = static_cast<float>(totals[c] / m);

  std::vector<double> sq(C, 0.0);
  if (S == 1) {
    for (int n = 0; n < N; ++n) {
      const float* row = x + size_t(n) * C;
      for (int c = 0; c < C; ++c) {
        const double d = double(row[c]) - mean_[c];
        sq[c] += d * d;
      }
    }
  } else {
#pragma omp parallel for if (size_t(N) * C * S >= size_t(kParallelMin))
    for (int c = 0; c < C; ++c) {
      double total = 0.0;
      for (int n = 0; n < N; ++n) total += row_sum_sq_dev(x + (size_t(n) * C + c) * S, S, mean_[c]);
      sq[c] = total;
    }
  }
  sum(sq.data(), C);
  for (int c = 0; c < C; ++c) {
    variance_[c] = static_cast<float>(sq[c] / m);
    inv_std_[c] = 1.f / std::sqrt(variance_[c] + eps_);
  }
}

void BatchNormLayer::global_statistics() {
  const float factor = blobs_[2]->cpu_data()[0];
  // A fresh layer has seen no batch yet: its statistics read as zero, not as 0 / 0.
  const float scale = factor == 0.f ? 0.f : 1.f / factor;
  const float* mean_sum = blobs_[0]->cpu_data();
  const float* var_sum = blobs_[1]->cpu_data();
  for (int c = 0; c < channels_; ++c) {
    mean_[c] = mean_sum[c] * scale;
    variance_[c] = var_sum[c] * scale;
    inv_std_[c] = 1.f / std::sqrt(variance_[c] + eps_);
  }
}

void BatchNormLayer::begin_recalibration() {
  for (int i = 0; i < 3; ++i) blobs_[i]->set_data(0.f);
  // With fraction 1 the stored sums become plain sums over the batches seen, and the
  // normaliser counts them: the averages weigh every batch equally.
  moving_average_fraction_ = 1.f;
}

void BatchNormLayer::end_recalibration() { moving_average_fraction_ = configured_moving_average_fraction_; }

void BatchNormLayer::global_normalization_cpu(const float** mean, const float** inv_std) {
  CHECK(use_global_stats_) << where() << "has no global statistics to fold";
  global_statistics();
  *mean = mean_.data();
  *inv_std = inv_std_.data();
}

void BatchNormLayer::update_running_statistics() {
  const float maf = moving_average_fraction_;
  // The stored variance is the unbiased estimate m / (m - 1) * var, m counting the values
  // of every replica the statistics were taken over.
  const double m = batch_count_;
  const float correction = m > 1 ? static_cast<float>(m / (m - 1)) : 1.f;
  float* factor = blobs_[2]->mutable_cpu_data();
  factor[0] = factor[0] * maf + 1.f;
  float* mean_sum = blobs_[0]->mutable_cpu_data();
  float* var_sum = blobs_[1]->mutable_cpu_data();
  for (int c = 0; c < channels_; ++c) {
    mean_sum[c] = mean_sum[c] * maf + mean_[c];
    var_sum[c] = var_sum[c] * maf + correction * variance_[c];
  }
}

void BatchNormLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  if (folded_) return;
  const int C = channels_, S = spatial_, N = num_;
  const float* x = bottom[0]->cpu_data();
  if (use_global_stats_) {
    global_statistics();
  } else {
    HWGQ_REQUIRE(size_t(N) * S > 0, where() << "cannot take batch statistics of an empty bottom "
                                            << bottom[0]->shape_string());
    batch_statistics(x);
    update_running_statistics();
    if (normalized_by_reader_) {
      // Training fusion: the fused Quant reads x and these statistics and writes what backward needs.
      saved_x_norm_ = false;
      return;
    }
  }
  // y may alias x (in place): each element is read once, then written.
  float* y = top[0]->mutable_cpu_data();
  saved_x_norm_ = !use_global_stats_ && bottom[0] == top[0];
  float* saved = nullptr;
  if (saved_x_norm_) {
    x_norm_.reshape_like(*bottom[0]);
    saved = x_norm_.mutable_cpu_data();
  }
  const float* mean = mean_.data();
  const float* inv_std = inv_std_.data();
  if (S == 1) {
    // N x C: vectorise across the channels of a sample instead of one-element rows.
#pragma omp parallel for if (size_t(N) * C >= size_t(kParallelMin))
    for (int n = 0; n < N; ++n) {
      const float* xr = x + size_t(n) * C;
      float* yr = y + size_t(n) * C;
#pragma omp simd
      for (int c = 0; c < C; ++c) yr[c] = (xr[c] - mean[c]) * inv_std[c];
      if (saved) std::copy(yr, yr + C, saved + size_t(n) * C);
    }
    return;
  }
  const size_t rows = size_t(N) * C;
#pragma omp parallel for if (rows * S >= size_t(kParallelMin))
  for (size_t r = 0; r < rows; ++r) {
    const int c = static_cast<int>(r % C);
    const float mu = mean[c], k = inv_std[c];
    const float* xr = x + r * S;
    float* yr = y + r * S;
#pragma omp simd
    for (int i = 0; i < S; ++i) yr[i] = (xr[i] - mu) * k;
    if (saved) std::copy(yr, yr + S, saved + r * S);
  }
}

void BatchNormLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  HWGQ_REQUIRE(!folded_, where() << "is folded into the next Quant layer for inference and has no backward "
                                    "(build the net with force_backward or fuse_batch_norm_quant: false)");
  // The fused Quant reader ran this backward already (batch_backward_cpu).
  if (normalized_by_reader_ && !use_global_stats_) return;
  const int C = channels_, S = spatial_, N = num_;
  const size_t rows = size_t(N) * C;
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
  const float* inv_std = inv_std_.data();

  if (use_global_stats_) {
    // The statistics are constants here, so the layer is an affine map per channel.
    if (S == 1) {
#pragma omp parallel for if (rows >= size_t(kParallelMin))
      for (int n = 0; n < N; ++n) {
        const float* g = dy + size_t(n) * C;
        float* d = dx + size_t(n) * C;
#pragma omp simd
        for (int c = 0; c < C; ++c) d[c] = g[c] * inv_std[c];
      }
      return;
    }
#pragma omp parallel for if (rows * S >= size_t(kParallelMin))
    for (size_t r = 0; r < rows; ++r) {
      const float k = inv_std[r % C];
      const float* g = dy + r * S;
      float* d = dx + r * S;
#pragma omp simd
      for (int i = 0; i < S; ++i) d[i] = g[i] * k;
    }
    return;
  }

  // The top's gradient as it is, in place.
  class TopGradient final : public OutputGradient {
   public:
    explicit TopGradient(const float* dy) : dy_(dy) {}
    const float* get(size_t offset, int, const float*, float*) const override { return dy_ + offset; }

   private:
    const float* dy_;
  };
  // The normalised output, taken from the saved copy (in place) or recomputed from x.
  const float* x = saved_x_norm_ ? x_norm_.cpu_data() : bottom[0]->cpu_data();
  batch_statistics_backward(x, !saved_x_norm_, TopGradient(dy), dx);
}

void BatchNormLayer::batch_backward_cpu(const float* y, const OutputGradient& dy, float* dx) {
  HWGQ_REQUIRE(!use_global_stats_ && normalized_by_reader_,
               where() << "batch_backward_cpu is the backward of a Quant fused with this layer for training");
  batch_statistics_backward(y, false, dy, dx);
}

void BatchNormLayer::batch_statistics_backward(const float* x, bool recompute, const OutputGradient& gradient,
                                               float* dx) {
  const int C = channels_, S = spatial_, N = num_;
  const size_t rows = size_t(N) * C;
  const float* inv_std = inv_std_.data();
  // Batch statistics depend on every input of the channel:
  //   dx = (dy - mean(dy) - y * mean(dy * y)) / sqrt(var + eps),
  // with y the normalised output. dy comes a row at a time (C values of a sample for an
  // N x C bottom, S values of one channel otherwise) from `gradient`, into a per-thread
  // buffer where a fused reader computes it.
  const int width = S == 1 ? C : S;
  const float* mean = mean_.data();
  // Per channel the sums of dy (sums[c]) and of dy * y (sums[C + c]).
  std::vector<double> sums(2 * size_t(C), 0.0);
  if (S == 1) {
    double* a = sums.data();
    double* b = sums.data() + C;
    std::vector<float> buffer(width);
    for (int n = 0; n < N; ++n) {
      const float* xr = x + size_t(n) * C;
      const float* g = gradient.get(size_t(n) * C, C, xr, buffer.data());
      for (int c = 0; c < C; ++c) {
        const float yv = recompute ? (xr[c] - mean[c]) * inv_std[c] : xr[c];
        a[c] += g[c];
        b[c] += double(g[c]) * yv;
      }
    }
  } else {
#pragma omp parallel if (rows * S >= size_t(kParallelMin))
    {
      std::vector<float> buffer(width);
#pragma omp for
      for (int c = 0; c < C; ++c) {
        const float mu = recompute ? mean[c] : 0.f;
        const float k = recompute ? inv_std[c] : 1.f;
        double a = 0.0, b = 0.0;
        for (int n = 0; n < N; ++n) {
          const size_t off = (size_t(n) * C + c) * S;
          const float* xr = x + off;
          const float* g = gradient.get(off, S, xr, buffer.data());
          float ra = 0.f, rb = 0.f;
          row_gradient_sums(g, xr, S, mu, k, &ra, &rb);
          a += ra;
          b += rb;
        }
        sums[c] = a;
        sums[C + c] = b;
      }
    }
  }
  // Synchronized, the statistics depend on every replica's inputs, and so do these means.
  if (const CrossReplicaSum* sum = replica_sum()) (*sum)(sums.data(), 2 * C);
  const double m = batch_count_;
  std::vector<float> mean_dy(C), mean_dyy(C);
  for (int c = 0; c < C; ++c) {
    mean_dy[c] = static_cast<float>(sums[c] / m);
    mean_dyy[c] = static_cast<float>(sums[C + c] / m);
  }
  // dx may alias dy (in place): each element is read once, then written.
  if (S == 1) {
    const float* a = mean_dy.data();
    const float* b = mean_dyy.data();
#pragma omp parallel if (rows >= size_t(kParallelMin))
    {
      std::vector<float> buffer(width);
#pragma omp for
      for (int n = 0; n < N; ++n) {
        const float* xr = x + size_t(n) * C;
        const float* g = gradient.get(size_t(n) * C, C, xr, buffer.data());
        float* d = dx + size_t(n) * C;
        if (recompute) {
#pragma omp simd
          for (int c = 0; c < C; ++c) d[c] = (g[c] - a[c] - (xr[c] - mean[c]) * inv_std[c] * b[c]) * inv_std[c];
        } else {
#pragma omp simd
          for (int c = 0; c < C; ++c) d[c] = (g[c] - a[c] - xr[c] * b[c]) * inv_std[c];
        }
      }
    }
    return;
  }
#pragma omp parallel if (rows * S >= size_t(kParallelMin))
  {
    std::vector<float> buffer(width);
#pragma omp for
    for (size_t r = 0; r < rows; ++r) {
      const int c = static_cast<int>(r % C);
      const float mu = recompute ? mean[c] : 0.f;
      const float k = inv_std[c];
      const float ky = recompute ? k : 1.f;
      const float a = mean_dy[c], b = mean_dyy[c];
      const float* xr = x + r * S;
      const float* g = gradient.get(r * S, S, xr, buffer.data());
      float* d = dx + r * S;
#pragma omp simd
      for (int i = 0; i < S; ++i) d[i] = (g[i] - a - (xr[i] - mu) * ky * b) * k;
    }
  }
}

}  // namespace hwgq
