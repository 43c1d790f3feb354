// Scale on the GPU, mirroring src/layers/scale_layer.cpp: per-entry sums over outer and
// inner for the gradients of s and b, elementwise kernels for y and dx.
#include "../math/channel_reduce.cuh"
#include "hwgq/layers/scale_layer.hpp"
#include "hwgq/math/gpu_blas.hpp"

namespace hwgq {

namespace {

// Blob counts stay below 2^31: 32-bit division is enough and much cheaper than 64-bit.
__global__ void scale_forward_kernel(int64_t n, int dim, int inner, const float* x, const float* s, const float* b,
                                     float* y) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int d = static_cast<int>((static_cast<unsigned>(i) / unsigned(inner)) % unsigned(dim));
    y[i] = x[i] * s[d] + (b ? b[d] : 0.f);
  }
}

__global__ void scale_backward_kernel(int64_t n, int dim, int inner, const float* dy, const float* s, float* dx) {
  HWGQ_KERNEL_LOOP(i, n) {
    const int d = static_cast<int>((static_cast<unsigned>(i) / unsigned(inner)) % unsigned(dim));
    dx[i] = dy[i] * s[d];
  }
}

struct ScaleGradientTerm {
  const float* dy;
  const float* x;
  __device__ float2 operator()(int64_t i, int) const { return make_float2(dy[i] * x[i], dy[i]); }
};

// A learned scale accumulates its gradient (iter_size); a bottom's diff is overwritten.
struct ScaleGradientFinish {
  float* ds;  // may be null
  float* db;  // may be null
  bool accumulate_scale;
  __device__ void operator()(int d, double sum_dyx, double sum_dy) const {
    if (ds) ds[d] = static_cast<float>(sum_dyx) + (accumulate_scale ? ds[d] : 0.f);
    if (db) db[d] += static_cast<float>(sum_dy);
  }
};

}  // namespace

void ScaleLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  if (bottom[0] == top[0]) {
    // The gradient of s needs x, which the output is about to overwrite.
    saved_input_.reshape_like(*bottom[0]);
    gpu_copy(n, bottom[0]->gpu_data(), saved_input_.mutable_gpu_data());
  }
  if (n == 0) return;
  const float* x = bottom[0]->gpu_data();
  const float* s = bottom.size() > 1 ? bottom[1]->gpu_data() : blobs_[0]->gpu_data();
  const float* b = bias_term_ ? blobs_[bias_index_]->gpu_data() : nullptr;
  float* y = top[0]->mutable_gpu_data();
  scale_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, dim_, inner_, x, s, b, y);
  HWGQ_KERNEL_CHECK();
}

void ScaleLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  const bool two_bottoms = bottom.size() > 1;
  const bool want_scale = two_bottoms ? bool(propagate_down[1]) : param_propagate_down(0);
  const bool want_bias = bias_term_ && param_propagate_down(bias_index_);
  const float* dy = top[0]->gpu_diff();

  // Parameter gradients first: in place, dx overwrites dy.
  if (want_scale || want_bias) {
    const float* x = bottom[0] == top[0] ? saved_input_.gpu_data() : bottom[0]->gpu_data();
    float* ds = want_scale ? (two_bottoms ? bottom[1]->mutable_gpu_diff() : blobs_[0]->mutable_gpu_diff()) : nullptr;
    float* db = want_bias ? blobs_[bias_index_]->mutable_gpu_diff() : nullptr;
    cuda::channel_reduce(outer_, dim_, inner_, ScaleGradientTerm{dy, x}, ScaleGradientFinish{ds, db, !two_bottoms});
  }

  if (propagate_down[0]) {
    const int n = bottom[0]->count();
    if (n == 0) return;
    const float* s = two_bottoms ? bottom[1]->gpu_data() : blobs_[0]->gpu_data();
    float* dx = bottom[0]->mutable_gpu_diff();
    scale_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, dim_, inner_, dy, s, dx);
    HWGQ_KERNEL_CHECK();
  }
}

}  // namespace hwgq
