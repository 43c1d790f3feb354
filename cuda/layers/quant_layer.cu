// Quant on the GPU: every forward and backward function of src/layers/quant_layer.cpp,
// element for element the same arithmetic (the comparisons are written as the CPU code's
// std::min / std::max so that NaN inputs give the same outputs too).
#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/quant/normalized_threshold.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

// Cells (thr[j], thr[j+1]] map to center j+1; x <= 0 maps to `low` (-negative_slope, as
// in the fork); NaN passes through. The table is tiny and read by every thread alike, so
// it stays in the L1 cache.
__global__ void hwgq_forward_kernel(int64_t n, const float* x, float* y, const float* thr, const float* ctr,
                                    int levels, float low) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = x[i];
    float out = __ldg(ctr);
    for (int j = 0; j + 1 < levels; ++j) out = v > __ldg(thr + j) ? __ldg(ctr + j + 1) : out;
    out = v > 0.f ? out : low;
    y[i] = v == v ? out : v;
  }
}

__global__ void sign_kernel(int64_t n, const float* x, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = x[i] >= 0.f ? 1.f : -1.f; }
}

// std::min(std::max(v, -1), 1): NaN stays NaN.
__global__ void hard_tanh_kernel(int64_t n, const float* x, float* y) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = x[i];
    const float lo = v < -1.f ? -1.f : v;
    y[i] = 1.f < lo ? 1.f : lo;
  }
}

// std::max(v, 0) + slope * std::min(v, 0).
__global__ void relu_kernel(int64_t n, const float* x, float* y, float slope) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = x[i];
    const float pos = v < 0.f ? 0.f : v;
    const float neg = 0.f < v ? 0.f : v;
    y[i] = pos + slope * neg;
  }
}

// ReLU derivative (leaky with negative_slope), zeroed above clip (the clipped ReLU).
__global__ void relu_backward_kernel(int64_t n, const float* x, const float* dy, float* dx, float slope,
                                     float clip) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = x[i];
    float g = v > 0.f ? 1.f : slope;
    g = v <= clip ? g : 0.f;
    dx[i] = dy[i] * g;
  }
}

__global__ void hard_tanh_backward_kernel(int64_t n, const float* x, const float* dy, float* dx, float clip) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = x[i];
    dx[i] = (-clip <= v && v <= clip) ? dy[i] : 0.f;
  }
}

// Paper: Q_l(x) = q_m + log(x - tau) above q_m with tau = q_m - 1 (slope 1 at q_m).
__global__ void log_tailed_backward_kernel(int64_t n, const float* x, const float* dy, float* dx, float qm) {
  const float tau = qm - 1.f;
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = x[i];
    float g = v > 0.f ? 1.f : 0.f;
    g = v > qm ? 1.f / (v - tau) : g;
    dx[i] = dy[i] * g;
  }
}

// ---- Fused with BatchNorm (inference): see QuantLayer::forward_fused_cpu. ----

// Channel of element i of an N x C x S blob (counts are ints, so 32-bit division suffices).
__device__ inline int channel_of(int64_t i, int spatial, int channels) {
  return static_cast<int>((static_cast<unsigned>(i) / static_cast<unsigned>(spatial)) % static_cast<unsigned>(channels));
}

// cuts[r * C + c]: row 0 the cut of v > 0 (hwgq) or v >= 0 (sign), row r > 0 that of
// v > thr[r - 1]. A channel whose statistics are not monotone gets NaN in row 0, and the
// forward normalises its elements instead.
__global__ void fused_cuts_kernel(int channels, int rows, const float* mean, const float* inv_std, const float* thr,
                                  bool inclusive, float* cuts) {
  HWGQ_KERNEL_LOOP(i, int64_t(channels) * rows) {
    const int c = static_cast<int>(i % channels);
    const int r = static_cast<int>(i / channels);
    const float m = mean[c];
    const float k = inv_std[c];
    if (!normalization_is_monotone(m, k)) {
      cuts[i] = r == 0 ? __int_as_float(0x7fc00000) : 0.f;
    } else {
      cuts[i] = normalized_threshold(m, k, r == 0 ? 0.f : thr[r - 1], inclusive);
    }
  }
}

// hwgq on BatchNorm's input x: the unfused kernels' selects with each comparison on v
// moved onto x (v > t <=> x >= cut), or on v itself for a non-monotone channel.
__global__ void fused_hwgq_kernel(int64_t n, int channels, int spatial, const float* x, float* y, const float* cuts,
                                  const float* mean, const float* inv_std, const float* thr, const float* ctr,
                                  int levels, float low) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int c = channel_of(i, spatial, channels);
    float v = x[i];
    const float zero_cut = cuts[c];
    float out = __ldg(ctr);
    if (zero_cut == zero_cut) {
      for (int j = 1; j < levels; ++j) out = v >= cuts[int64_t(j) * channels + c] ? __ldg(ctr + j) : out;
      out = v >= zero_cut ? out : low;
    } else {
      v = batch_normalized(v, mean[c], inv_std[c]);
      for (int j = 0; j + 1 < levels; ++j) out = v > __ldg(thr + j) ? __ldg(ctr + j + 1) : out;
      out = v > 0.f ? out : low;
    }
    y[i] = v == v ? out : v;
  }
}

__global__ void fused_sign_kernel(int64_t n, int channels, int spatial, const float* x, float* y, const float* cuts,
                                  const float* mean, const float* inv_std) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int c = channel_of(i, spatial, channels);
    const float cut = cuts[c];
    y[i] = (cut == cut ? x[i] >= cut : batch_normalized(x[i], mean[c], inv_std[c]) >= 0.f) ? 1.f : -1.f;
  }
}

// hard_tanh and relu output v itself: normalise every element, then hard_tanh_kernel's and
// relu_kernel's arithmetic.
__global__ void fused_hard_tanh_kernel(int64_t n, int channels, int spatial, const float* x, float* y,
                                       const float* mean, const float* inv_std) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int c = channel_of(i, spatial, channels);
    const float v = batch_normalized(x[i], mean[c], inv_std[c]);
    const float lo = v < -1.f ? -1.f : v;
    y[i] = 1.f < lo ? 1.f : lo;
  }
}

__global__ void fused_relu_kernel(int64_t n, int channels, int spatial, const float* x, float* y, const float* mean,
                                  const float* inv_std, float slope) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int c = channel_of(i, spatial, channels);
    const float v = batch_normalized(x[i], mean[c], inv_std[c]);
    const float pos = v < 0.f ? 0.f : v;
    const float neg = 0.f < v ? 0.f : v;
    y[i] = pos + slope * neg;
  }
}

}  // namespace

// Everything stays on the device and on the compute stream: BatchNorm's statistics kernel
// (the one its own forward runs, so the values match the unfused GPU path bit for bit),
// the cuts, then one pass over x. Nothing waits for the host.
void QuantLayer::forward_fused_gpu(const BlobVec& top) {
  const Blob& in = *fused_input_;
  const int count = in.count();
  HWGQ_REQUIRE(count == top[0]->count(), where() << "fused input " << in.shape_string() << " vs top "
                                                  << top[0]->shape_string());
  const int C = in.num_axes() > 1 ? in.shape(1) : 1;
  const int S = in.num_axes() > 2 ? in.count(2) : 1;
  HWGQ_REQUIRE(C == fused_bn_->channels(), where() << "fused input " << in.shape_string() << " has " << C
                                                  << " channels, BatchNorm " << fused_bn_->channels());
  if (count == 0) return;
  const float* mean = nullptr;
  const float* inv_std = nullptr;
  fused_bn_->global_normalization_gpu(&mean, &inv_std);
  const float* table = gpu_table();
  const float* thr = table;
  const float* ctr = table + thresholds_.size();
  const float* x = in.gpu_data();
  float* y = top[0]->mutable_gpu_data();
  const unsigned blocks = cuda::blocks_for(count);
  const float* cuts = nullptr;
  if (forward_ == Forward::kHwgq || forward_ == Forward::kSign) {
    const int rows = fused_cut_rows();
    fused_cuts_gpu_.reshape({rows, C});
    float* made = fused_cuts_gpu_.mutable_gpu_data();
    fused_cuts_kernel<<<cuda::blocks_for(int64_t(rows) * C), cuda::kThreads>>>(C, rows, mean, inv_std, thr,
                                                                               forward_ == Forward::kSign, made);
    HWGQ_KERNEL_CHECK();
    cuts = made;
  }
  switch (forward_) {
    case Forward::kHwgq:
      fused_hwgq_kernel<<<blocks, cuda::kThreads>>>(count, C, S, x, y, cuts, mean, inv_std, thr, ctr,
                                                    static_cast<int>(centers_.size()), -negative_slope_);
      break;
    case Forward::kSign:
      fused_sign_kernel<<<blocks, cuda::kThreads>>>(count, C, S, x, y, cuts, mean, inv_std);
      break;
    case Forward::kHardTanh:
      fused_hard_tanh_kernel<<<blocks, cuda::kThreads>>>(count, C, S, x, y, mean, inv_std);
      break;
    case Forward::kRelu:
      fused_relu_kernel<<<blocks, cuda::kThreads>>>(count, C, S, x, y, mean, inv_std, negative_slope_);
      break;
  }
  HWGQ_KERNEL_CHECK();
}

const float* QuantLayer::gpu_table() {
  std::vector<float> table(thresholds_);
  table.insert(table.end(), centers_.begin(), centers_.end());
  if (table.empty()) table.push_back(0.f);
  if (table != gpu_table_source_ || gpu_table_.count() != (int)table.size()) {
    gpu_table_.reshape({static_cast<int>(table.size())});
    std::copy(table.begin(), table.end(), gpu_table_.mutable_cpu_data());
    gpu_table_source_ = table;
  }
  return gpu_table_.gpu_data();
}

void QuantLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (fused_bn_) {
    forward_fused_gpu(top);
    return;
  }
  const int count = bottom[0]->count();
  if (top[0] == bottom[0]) {
    input_copy_.reshape_like(*bottom[0]);
    gpu_copy(count, bottom[0]->gpu_data(), input_copy_.mutable_gpu_data());
  }
  if (count == 0) return;
  const float* x = bottom[0]->gpu_data();
  float* y = top[0]->mutable_gpu_data();
  const unsigned blocks = cuda::blocks_for(count);
  switch (forward_) {
    case Forward::kHwgq: {
      const float* table = gpu_table();
      const int levels = static_cast<int>(centers_.size());
      hwgq_forward_kernel<<<blocks, cuda::kThreads>>>(count, x, y, table, table + thresholds_.size(), levels,
                                                      -negative_slope_);
      break;
    }
    case Forward::kSign:
      sign_kernel<<<blocks, cuda::kThreads>>>(count, x, y);
      break;
    case Forward::kHardTanh:
      hard_tanh_kernel<<<blocks, cuda::kThreads>>>(count, x, y);
      break;
    case Forward::kRelu:
      relu_kernel<<<blocks, cuda::kThreads>>>(count, x, y, negative_slope_);
      break;
  }
  HWGQ_KERNEL_CHECK();
}

void QuantLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  HWGQ_REQUIRE(!fused_bn_, where() << "is fused with BatchNorm for inference and has no backward "
                                      "(build the net with force_backward or fuse_batch_norm_quant: false)");
  const int count = bottom[0]->count();
  if (count == 0) return;
  const float* x = top[0] == bottom[0] ? input_copy_.gpu_data() : bottom[0]->gpu_data();
  const float* dy = top[0]->gpu_diff();
  float* dx = bottom[0]->mutable_gpu_diff();
  const unsigned blocks = cuda::blocks_for(count);
  switch (backward_) {
    case Backward::kRelu:
      relu_backward_kernel<<<blocks, cuda::kThreads>>>(count, x, dy, dx, negative_slope_, clip_);
      break;
    case Backward::kHardTanh:
      hard_tanh_backward_kernel<<<blocks, cuda::kThreads>>>(count, x, dy, dx, clip_);
      break;
    case Backward::kLogTailed:
      log_tailed_backward_kernel<<<blocks, cuda::kThreads>>>(count, x, dy, dx, log_tail_start_);
      break;
  }
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
