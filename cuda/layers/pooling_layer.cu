// Pooling on the GPU with own kernels rather than cuDNN: cuDNN computes the floor output
// size, while Caffe (and the CPU layer) pool with ceil and drop a last window that would
// start inside the padding; its average divisor and its choice among tied maxima would
// also differ. One thread per output in forward; backward gathers, one thread per input
// over the windows that cover it, adding in the order the CPU scatters (no atomics, the
// same sums bit for bit).
#include <cfloat>

#include "hwgq/layers/pooling_layer.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

// Index arithmetic in 32 bits: blob counts stay below 2^31, and 64-bit division costs
// several times more.
struct PoolShape {
  int height, width, pooled_h, pooled_w;
  int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
};

// The first maximum in row-major order wins ties; NaN never wins (as on the CPU).
__global__ void max_forward_kernel(int64_t n, PoolShape p, const float* x, float* y, int* argmax, float* mask) {
  HWGQ_KERNEL_LOOP(o, n) {
    const unsigned u = static_cast<unsigned>(o);
    const int pw = static_cast<int>(u % unsigned(p.pooled_w));
    const int ph = static_cast<int>((u / unsigned(p.pooled_w)) % unsigned(p.pooled_h));
    const int64_t plane = u / unsigned(p.pooled_w * p.pooled_h);
    const float* xp = x + plane * p.height * p.width;
    const int h0 = max(ph * p.stride_h - p.pad_h, 0);
    const int h1 = min(ph * p.stride_h - p.pad_h + p.kernel_h, p.height);
    const int w0 = max(pw * p.stride_w - p.pad_w, 0);
    const int w1 = min(pw * p.stride_w - p.pad_w + p.kernel_w, p.width);
    float best = -FLT_MAX;
    int best_at = h0 * p.width + w0;
    for (int h = h0; h < h1; ++h) {
      for (int w = w0; w < w1; ++w) {
        const float v = xp[h * p.width + w];
        if (v > best) {
          best = v;
          best_at = h * p.width + w;
        }
      }
    }
    y[o] = best;
    if (argmax) argmax[o] = best_at;
    if (mask) mask[o] = static_cast<float>(best_at);
  }
}

// The divisor counts padded positions inside the padded extent (padding acts as zeros).
__global__ void ave_forward_kernel(int64_t n, PoolShape p, const float* x, float* y) {
  HWGQ_KERNEL_LOOP(o, n) {
    const unsigned u = static_cast<unsigned>(o);
    const int pw = static_cast<int>(u % unsigned(p.pooled_w));
    const int ph = static_cast<int>((u / unsigned(p.pooled_w)) % unsigned(p.pooled_h));
    const int64_t plane = u / unsigned(p.pooled_w * p.pooled_h);
    const float* xp = x + plane * p.height * p.width;
    const int hs = ph * p.stride_h - p.pad_h;
    const int he = min(hs + p.kernel_h, p.height + p.pad_h);
    const int ws = pw * p.stride_w - p.pad_w;
    const int we = min(ws + p.kernel_w, p.width + p.pad_w);
    const int window = (he - hs) * (we - ws);
    const int h0 = max(hs, 0), h1 = min(he, p.height);
    const int w0 = max(ws, 0), w1 = min(we, p.width);
    float sum = 0.f;
    for (int h = h0; h < h1; ++h) {
      for (int w = w0; w < w1; ++w) sum += xp[h * p.width + w];
    }
    y[o] = sum / window;
  }
}

// The pooled rows (columns) whose windows can contain input row h: those starting at or
// before h and ending after it.
__device__ inline int first_window(int h, int kernel, int stride, int pad) {
  return h + pad < kernel ? 0 : (h + pad - kernel) / stride + 1;
}
__device__ inline int last_window(int h, int stride, int pad, int pooled) { return min((h + pad) / stride + 1, pooled); }

__global__ void max_backward_kernel(int64_t n, PoolShape p, const float* dy, const int* argmax, const float* mask,
                                    float* dx) {
  HWGQ_KERNEL_LOOP(i, n) {
    const unsigned u = static_cast<unsigned>(i);
    const int w = static_cast<int>(u % unsigned(p.width));
    const int h = static_cast<int>((u / unsigned(p.width)) % unsigned(p.height));
    const int64_t plane = u / unsigned(p.width * p.height);
    const int at = h * p.width + w;
    const int64_t out = plane * p.pooled_h * p.pooled_w;
    const int ph0 = first_window(h, p.kernel_h, p.stride_h, p.pad_h);
    const int ph1 = last_window(h, p.stride_h, p.pad_h, p.pooled_h);
    const int pw0 = first_window(w, p.kernel_w, p.stride_w, p.pad_w);
    const int pw1 = last_window(w, p.stride_w, p.pad_w, p.pooled_w);
    float sum = 0.f;
    for (int ph = ph0; ph < ph1; ++ph) {
      for (int pw = pw0; pw < pw1; ++pw) {
        const int64_t o = out + ph * p.pooled_w + pw;
        const int winner = argmax ? argmax[o] : static_cast<int>(mask[o]);
        if (winner == at) sum += dy[o];
      }
    }
    dx[i] = sum;
  }
}

__global__ void ave_backward_kernel(int64_t n, PoolShape p, const float* dy, float* dx) {
  HWGQ_KERNEL_LOOP(i, n) {
    const unsigned u = static_cast<unsigned>(i);
    const int w = static_cast<int>(u % unsigned(p.width));
    const int h = static_cast<int>((u / unsigned(p.width)) % unsigned(p.height));
    const int64_t plane = u / unsigned(p.width * p.height);
    const int64_t out = plane * p.pooled_h * p.pooled_w;
    const int ph0 = first_window(h, p.kernel_h, p.stride_h, p.pad_h);
    const int ph1 = last_window(h, p.stride_h, p.pad_h, p.pooled_h);
    const int pw0 = first_window(w, p.kernel_w, p.stride_w, p.pad_w);
    const int pw1 = last_window(w, p.stride_w, p.pad_w, p.pooled_w);
    float sum = 0.f;
    for (int ph = ph0; ph < ph1; ++ph) {
      const int hs = ph * p.stride_h - p.pad_h;
      const int he = min(hs + p.kernel_h, p.height + p.pad_h);
      for (int pw = pw0; pw < pw1; ++pw) {
        const int ws = pw * p.stride_w - p.pad_w;
        const int we = min(ws + p.kernel_w, p.width + p.pad_w);
        sum += dy[out + ph * p.pooled_w + pw] / ((he - hs) * (we - ws));
      }
    }
    dx[i] = sum;
  }
}

}  // namespace

void PoolingLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const PoolShape p{height_, width_, pooled_h_, pooled_w_, kernel_h_, kernel_w_, stride_h_, stride_w_, pad_h_, pad_w_};
  const int64_t n = top[0]->count();
  const float* x = bottom[0]->gpu_data();
  float* y = top[0]->mutable_gpu_data();
  if (n == 0) return;
  if (is_max_) {
    int* argmax = nullptr;
    float* mask = nullptr;
    if (top.size() > 1) {
      mask = top[1]->mutable_gpu_data();
    } else {
      const size_t bytes = sizeof(int) * size_t(n);
      if (!gpu_argmax_ || gpu_argmax_->size() < bytes) gpu_argmax_ = std::make_unique<SyncedMemory>(bytes);
      argmax = static_cast<int*>(gpu_argmax_->mutable_gpu_data());
    }
    max_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, p, x, y, argmax, mask);
  } else {
    ave_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, p, x, y);
  }
  HWGQ_KERNEL_CHECK();
}

void PoolingLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const PoolShape p{height_, width_, pooled_h_, pooled_w_, kernel_h_, kernel_w_, stride_h_, stride_w_, pad_h_, pad_w_};
  const int64_t n = bottom[0]->count();
  if (n == 0) return;
  const float* dy = top[0]->gpu_diff();
  float* dx = bottom[0]->mutable_gpu_diff();
  if (is_max_) {
    const int* argmax = top.size() == 1 ? static_cast<const int*>(gpu_argmax_->gpu_data()) : nullptr;
    const float* mask = top.size() > 1 ? top[1]->gpu_data() : nullptr;
    max_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, p, dy, argmax, mask, dx);
  } else {
    ave_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, p, dy, dx);
  }
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
