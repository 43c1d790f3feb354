// Quant on the GPU: every forward and backward function of src/layers/quant_layer.cpp,
// element for element the same arithmetic (the comparisons are written as the CPU code's
// std::min / std::max so that NaN inputs give the same outputs too).
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/math/gpu_blas.hpp"
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

}  // namespace

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
