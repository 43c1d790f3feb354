// LRN on the GPU with the CPU layer's arithmetic (src/layers/lrn_layer.cpp), own kernels
// rather than cuDNN's so that WITHIN_CHANNEL and the exact summation order match too.
// ACROSS_CHANNELS: one thread per (sample, pixel) slides the window down the channels;
// WITHIN_CHANNEL: one thread per element sums its square, rows first like the CPU box sum.
#include <cmath>

#include "hwgq/layers/lrn_layer.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

// scale^-beta, with the CPU's exact form for beta = 0.75.
__device__ inline float inverse_power(float scale, float beta) {
  if (beta == 0.75f) {
    const float root = sqrtf(scale);
    return 1.f / (root * sqrtf(root));
  }
  return powf(scale, -beta);
}

__global__ void across_forward_kernel(int64_t columns, int channels, int plane, int half, float coef, float k,
                                      float beta, const float* x, float* scale, float* y) {
  HWGQ_KERNEL_LOOP(t, columns) {
    const int64_t n = t / plane;
    const int64_t base = n * channels * plane + t % plane;
    float acc = 0.f;
    for (int c = 0; c < min(half, channels); ++c) {
      const float v = x[base + int64_t(c) * plane];
      acc += v * v;
    }
    for (int c = 0; c < channels; ++c) {
      if (c + half < channels) {
        const float v = x[base + int64_t(c + half) * plane];
        acc += v * v;
      }
      const int64_t off = base + int64_t(c) * plane;
      // A rounding residue below zero is possible where the true sum is tiny.
      const float s = k + coef * (acc < 0.f ? 0.f : acc);
      scale[off] = s;
      y[off] = x[off] * inverse_power(s, beta);
      if (c - half >= 0) {
        const float v = x[base + int64_t(c - half) * plane];
        acc -= v * v;
      }
    }
  }
}

__global__ void across_backward_kernel(int64_t columns, int channels, int plane, int half, float coef, float beta,
                                       const float* x, const float* y, const float* scale, const float* dy,
                                       float* dx) {
  HWGQ_KERNEL_LOOP(t, columns) {
    const int64_t n = t / plane;
    const int64_t base = n * channels * plane + t % plane;
    float acc = 0.f;
    for (int c = 0; c < min(half, channels); ++c) {
      const int64_t off = base + int64_t(c) * plane;
      acc += dy[off] * y[off] / scale[off];
    }
    for (int c = 0; c < channels; ++c) {
      if (c + half < channels) {
        const int64_t off = base + int64_t(c + half) * plane;
        acc += dy[off] * y[off] / scale[off];
      }
      const int64_t off = base + int64_t(c) * plane;
      dx[off] = dy[off] * inverse_power(scale[off], beta) - coef * x[off] * acc;
      if (c - half >= 0) {
        const int64_t out = base + int64_t(c - half) * plane;
        acc += -dy[out] * y[out] / scale[out];
      }
    }
  }
}

__global__ void within_forward_kernel(int64_t n, int height, int width, int half, float coef, float k, float beta,
                                      const float* x, float* scale, float* y) {
  const int plane = height * width;
  HWGQ_KERNEL_LOOP(i, n) {
    const int64_t base = i - i % plane;
    const int h = static_cast<int>(i % plane) / width, w = static_cast<int>(i % plane) % width;
    const int h0 = max(h - half, 0), h1 = min(h + half, height - 1);
    const int w0 = max(w - half, 0), w1 = min(w + half, width - 1);
    float sum = 0.f;
    for (int ww = w0; ww <= w1; ++ww) {
      float column = 0.f;
      for (int hh = h0; hh <= h1; ++hh) {
        const float v = x[base + int64_t(hh) * width + ww];
        column += v * v;
      }
      sum += column;
    }
    const float s = k + coef * sum;
    scale[i] = s;
    y[i] = x[i] * inverse_power(s, beta);
  }
}

__global__ void within_backward_kernel(int64_t n, int height, int width, int half, float coef, float beta,
                                       const float* x, const float* y, const float* scale, const float* dy,
                                       float* dx) {
  const int plane = height * width;
  HWGQ_KERNEL_LOOP(i, n) {
    const int64_t base = i - i % plane;
    const int h = static_cast<int>(i % plane) / width, w = static_cast<int>(i % plane) % width;
    const int h0 = max(h - half, 0), h1 = min(h + half, height - 1);
    const int w0 = max(w - half, 0), w1 = min(w + half, width - 1);
    float sum = 0.f;
    for (int ww = w0; ww <= w1; ++ww) {
      float column = 0.f;
      for (int hh = h0; hh <= h1; ++hh) {
        const int64_t j = base + int64_t(hh) * width + ww;
        column += dy[j] * y[j] / scale[j];
      }
      sum += column;
    }
    dx[i] = dy[i] * inverse_power(scale[i], beta) - coef * x[i] * sum;
  }
}

}  // namespace

void LRNLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int plane = height_ * width_;
  const int64_t count = int64_t(num_) * channels_ * plane;
  if (count == 0) return;
  const float* x = bottom[0]->gpu_data();
  float* scale = scale_.mutable_gpu_data();
  float* y = top[0]->mutable_gpu_data();
  if (across_) {
    const int64_t columns = int64_t(num_) * plane;
    across_forward_kernel<<<cuda::blocks_for(columns), cuda::kThreads>>>(columns, channels_, plane, half_,
                                                                         alpha_ / size_, k_, beta_, x, scale, y);
  } else {
    const float coef = alpha_ / (float(size_) * size_);
    within_forward_kernel<<<cuda::blocks_for(count), cuda::kThreads>>>(count, height_, width_, half_, coef, k_, beta_,
                                                                       x, scale, y);
  }
  HWGQ_KERNEL_CHECK();
}

void LRNLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int plane = height_ * width_;
  const int64_t count = int64_t(num_) * channels_ * plane;
  if (count == 0) return;
  const float* x = bottom[0]->gpu_data();
  const float* y = top[0]->gpu_data();
  const float* dy = top[0]->gpu_diff();
  const float* scale = scale_.gpu_data();
  float* dx = bottom[0]->mutable_gpu_diff();
  if (across_) {
    const int64_t columns = int64_t(num_) * plane;
    const float coef = 2.f * alpha_ * beta_ / size_;
    across_backward_kernel<<<cuda::blocks_for(columns), cuda::kThreads>>>(columns, channels_, plane, half_, coef,
                                                                          beta_, x, y, scale, dy, dx);
  } else {
    const float coef = 2.f * alpha_ * beta_ / (float(size_) * size_);
    within_backward_kernel<<<cuda::blocks_for(count), cuda::kThreads>>>(count, height_, width_, half_, coef, beta_, x,
                                                                        y, scale, dy, dx);
  }
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
