#include "hwgq/layers/relu_layer.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

__global__ void relu_forward_kernel(int64_t n, const float* x, float* y, float slope) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = x[i];
    y[i] = v > 0.f ? v : slope * v;
  }
}

// sign_source is x, or y in place (same sign for a non-negative slope; see the CPU code).
__global__ void relu_backward_kernel(int64_t n, const float* sign_source, const float* dy, float* dx, float slope) {
  HWGQ_KERNEL_LOOP(i, n) { dx[i] = sign_source[i] > 0.f ? dy[i] : slope * dy[i]; }
}

}  // namespace

void ReLULayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  if (n == 0) return;
  const float* x = bottom[0]->gpu_data();
  float* y = top[0]->mutable_gpu_data();
  relu_forward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, x, y, negative_slope_);
  HWGQ_KERNEL_CHECK();
}

void ReLULayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  if (n == 0) return;
  const float* sign_source = bottom[0] == top[0] ? top[0]->gpu_data() : bottom[0]->gpu_data();
  const float* dy = top[0]->gpu_diff();
  float* dx = bottom[0]->mutable_gpu_diff();
  relu_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, sign_source, dy, dx, negative_slope_);
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
