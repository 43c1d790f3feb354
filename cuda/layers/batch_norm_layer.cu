// BatchNorm on the GPU with the CPU layer's exact semantics (src/layers/batch_norm_layer.cpp):
// two-pass batch statistics summed in double, Caffe's running sums with the unbiased
// variance, and the saved normalised output when running in place.
#include <cmath>

#include "../math/channel_reduce.cuh"
#include "hwgq/layers/batch_norm_layer.hpp"

namespace hwgq {

namespace {

// Offsets of the statistics in gpu_stats_ (each C long).
enum Stat { kMean = 0, kVariance = 1, kInvStd = 2, kMeanDy = 3, kMeanDyY = 4, kStats = 5 };

struct SumTerm {
  const float* x;
  __device__ float2 operator()(int64_t i, int c) const { return make_float2(x[i], 0.f); }
};

struct SquaredDeviationTerm {
  const float* x;
  const float* mean;
  __device__ float2 operator()(int64_t i, int c) const {
    const float d = x[i] - mean[c];
    return make_float2(d * d, 0.f);
  }
};

// (dy, dy * y) with y recomputed from x, or read from the saved copy (mean 0, scale 1).
struct GradientTerm {
  const float* dy;
  const float* x;
  const float* mean;     // null: x already is y
  const float* inv_std;  // null: x already is y
  __device__ float2 operator()(int64_t i, int c) const {
    const float g = dy[i];
    const float y = mean ? (x[i] - mean[c]) * inv_std[c] : x[i];
    return make_float2(g, g * y);
  }
};

struct MeanFinish {
  float* mean;
  double m;
  __device__ void operator()(int c, double sum, double) const { mean[c] = static_cast<float>(sum / m); }
};

// Variance, 1/std, and the running sums: s = s * maf + value, the variance stored unbiased.
struct VarianceFinish {
  const float* mean;
  float* variance;
  float* inv_std;
  float* mean_sum;
  float* var_sum;
  float* factor;
  double m;
  float eps, maf, correction;
  __device__ void operator()(int c, double sq, double) const {
    const float v = static_cast<float>(sq / m);
    variance[c] = v;
    inv_std[c] = 1.f / sqrtf(v + eps);
    mean_sum[c] = mean_sum[c] * maf + mean[c];
    var_sum[c] = var_sum[c] * maf + correction * v;
    if (c == 0) factor[0] = factor[0] * maf + 1.f;
  }
};

struct GradientFinish {
  float* mean_dy;
  float* mean_dyy;
  double m;
  __device__ void operator()(int c, double a, double b) const {
    mean_dy[c] = static_cast<float>(a / m);
    mean_dyy[c] = static_cast<float>(b / m);
  }
};

// Blob counts stay below 2^31, so 32-bit division suffices (64-bit division costs several
// times more, and these kernels run over every activation).
__device__ inline int channel_of(int64_t i, int spatial, int channels) {
  return static_cast<int>((static_cast<unsigned>(i) / static_cast<unsigned>(spatial)) % static_cast<unsigned>(channels));
}

__global__ void global_statistics_kernel(int channels, const float* mean_sum, const float* var_sum,
                                         const float* factor, float eps, float* mean, float* variance,
                                         float* inv_std) {
  // A fresh layer has seen no batch yet: its statistics read as zero, not as 0 / 0.
  const float f = factor[0];
  const float scale = f == 0.f ? 0.f : 1.f / f;
  HWGQ_KERNEL_LOOP(c, channels) {
    mean[c] = mean_sum[c] * scale;
    variance[c] = var_sum[c] * scale;
    inv_std[c] = 1.f / sqrtf(variance[c] + eps);
  }
}

// y = (x - mean) * inv_std; saved (when not null) gets a copy of y. y may alias x.
__global__ void normalize_kernel(int64_t n, int channels, int spatial, const float* x, const float* mean,
                                 const float* inv_std, float* y, float* saved) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int c = channel_of(i, spatial, channels);
    const float v = (x[i] - mean[c]) * inv_std[c];
    y[i] = v;
    if (saved) saved[i] = v;
  }
}

__global__ void scale_gradient_kernel(int64_t n, int channels, int spatial, const float* dy, const float* inv_std,
                                      float* dx) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int c = channel_of(i, spatial, channels);
    dx[i] = dy[i] * inv_std[c];
  }
}

// dx = (dy - mean(dy) - y * mean(dy * y)) * inv_std; dx may alias dy.
__global__ void batch_gradient_kernel(int64_t n, int channels, int spatial, const float* dy, const float* x,
                                      const float* mean, const float* inv_std, const float* mean_dy,
                                      const float* mean_dyy, bool recompute, float* dx) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int c = channel_of(i, spatial, channels);
    const float k = inv_std[c];
    const float y = recompute ? (x[i] - mean[c]) * k : x[i];
    dx[i] = (dy[i] - mean_dy[c] - y * mean_dyy[c]) * k;
  }
}

}  // namespace

void BatchNormLayer::global_normalization_gpu(const float** mean, const float** inv_std) {
  // Net folds only layers with global statistics (QuantLayer::forward_fused checks it too).
  const int C = channels_;
  gpu_stats_.reshape({kStats, C});
  float* stats = gpu_stats_.mutable_gpu_data();
  if (C > 0) {
    global_statistics_kernel<<<cuda::blocks_for(C), cuda::kThreads>>>(
        C, blobs_[0]->gpu_data(), blobs_[1]->gpu_data(), blobs_[2]->gpu_data(), eps_, stats + kMean * C,
        stats + kVariance * C, stats + kInvStd * C);
    HWGQ_KERNEL_CHECK();
  }
  *mean = stats + kMean * C;
  *inv_std = stats + kInvStd * C;
}

void BatchNormLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (folded_) return;
  // Synchronized statistics are summed over the replicas on the host: this pass runs on the
  // CPU (the blobs move there and back), correct rather than fast.
  if (!use_global_stats_ && replica_sum()) {
    forward_cpu(bottom, top);
    return;
  }
  const int C = channels_, S = spatial_, N = num_;
  const int64_t count = int64_t(N) * C * S;
  gpu_stats_.reshape({kStats, C});
  float* stats = gpu_stats_.mutable_gpu_data();
  float* mean = stats + kMean * C;
  float* variance = stats + kVariance * C;
  float* inv_std = stats + kInvStd * C;
  const float* x = bottom[0]->gpu_data();

  if (use_global_stats_) {
    global_statistics_kernel<<<cuda::blocks_for(C), cuda::kThreads>>>(
        C, blobs_[0]->gpu_data(), blobs_[1]->gpu_data(), blobs_[2]->gpu_data(), eps_, mean, variance, inv_std);
    HWGQ_KERNEL_CHECK();
  } else {
    HWGQ_REQUIRE(int64_t(N) * S > 0, where() << "cannot take batch statistics of an empty bottom "
                                             << bottom[0]->shape_string());
    const double m = double(N) * S;
    // Two passes (mean, then squared deviations), as on the CPU.
    cuda::channel_reduce(N, C, S, SumTerm{x}, MeanFinish{mean, m});
    const float correction = m > 1 ? static_cast<float>(m / (m - 1)) : 1.f;
    VarianceFinish finish{mean,
                          variance,
                          inv_std,
                          blobs_[0]->mutable_gpu_data(),
                          blobs_[1]->mutable_gpu_data(),
                          blobs_[2]->mutable_gpu_data(),
                          m,
                          eps_,
                          moving_average_fraction_,
                          correction};
    cuda::channel_reduce(N, C, S, SquaredDeviationTerm{x, mean}, finish);
  }

  saved_x_norm_ = !use_global_stats_ && bottom[0] == top[0];
  float* saved = nullptr;
  if (saved_x_norm_) {
    x_norm_.reshape_like(*bottom[0]);
    saved = x_norm_.mutable_gpu_data();
  }
  if (count == 0) return;
  float* y = top[0]->mutable_gpu_data();
  normalize_kernel<<<cuda::blocks_for(count), cuda::kThreads>>>(count, C, S, x, mean, inv_std, y, saved);
  HWGQ_KERNEL_CHECK();
}

void BatchNormLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                  const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  HWGQ_REQUIRE(!folded_, where() << "is folded into the next Quant layer for inference and has no backward "
                                    "(build the net with force_backward or fuse_batch_norm_quant: false)");
  const int C = channels_, S = spatial_, N = num_;
  const int64_t count = int64_t(N) * C * S;
  if (count == 0) return;
  if (!use_global_stats_ && replica_sum()) {
    backward_cpu(top, propagate_down, bottom);
    return;
  }
  float* stats = gpu_stats_.mutable_gpu_data();
  const float* mean = stats + kMean * C;
  const float* inv_std = stats + kInvStd * C;
  const float* dy = top[0]->gpu_diff();

  if (use_global_stats_) {
    float* dx = bottom[0]->mutable_gpu_diff();
    scale_gradient_kernel<<<cuda::blocks_for(count), cuda::kThreads>>>(count, C, S, dy, inv_std, dx);
    HWGQ_KERNEL_CHECK();
    return;
  }

  const bool recompute = !saved_x_norm_;
  const float* x = saved_x_norm_ ? x_norm_.gpu_data() : bottom[0]->gpu_data();
  float* mean_dy = stats + kMeanDy * C;
  float* mean_dyy = stats + kMeanDyY * C;
  const double m = double(N) * S;
  cuda::channel_reduce(N, C, S, GradientTerm{dy, x, recompute ? mean : nullptr, recompute ? inv_std : nullptr},
                       GradientFinish{mean_dy, mean_dyy, m});
  float* dx = bottom[0]->mutable_gpu_diff();
  batch_gradient_kernel<<<cuda::blocks_for(count), cuda::kThreads>>>(count, C, S, dy, x, mean, inv_std, mean_dy,
                                                                    mean_dyy, recompute, dx);
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
