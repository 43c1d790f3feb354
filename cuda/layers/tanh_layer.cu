#include <cmath>

#include "hwgq/layers/tanh_layer.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

__global__ void tanh_forward_kernel(int64_t n, const float* x, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = tanhf(x[i]); }
}

__global__ void tanh_backward_kernel(int64_t n, const float* y, const float* dy, float* dx) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = y[i];
    dx[i] = dy[i] * (1.f - v * v);
  }
}

}  // namespace

void TanHLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  if (n == 0) return;
  tanh_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, bottom[0]->gpu_data(), top[0]->mutable_gpu_data());
  HWGQ_KERNEL_CHECK();
}

void TanHLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  if (n == 0) return;
  const float* y = top[0]->gpu_data();
  const float* dy = top[0]->gpu_diff();
  tanh_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, y, dy, bottom[0]->mutable_gpu_diff());
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
