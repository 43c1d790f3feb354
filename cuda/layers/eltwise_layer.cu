// Eltwise on the GPU with the CPU layer's semantics: SUM through axpy, PROD as a chain of
// products (or y / x_i without stable_prod_grad), MAX keeping the first bottom on ties.
#include "hwgq/layers/eltwise_layer.hpp"
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

__global__ void max_init_kernel(int64_t n, const float* x, float* y, int* arg) {
  HWGQ_KERNEL_LOOP(i, n) {
    y[i] = x[i];
    arg[i] = 0;
  }
}

// Strictly greater: on ties the earliest bottom keeps the gradient.
__global__ void max_update_kernel(int64_t n, const float* x, int index, float* y, int* arg) {
  HWGQ_KERNEL_LOOP(i, n) {
    if (x[i] > y[i]) {
      y[i] = x[i];
      arg[i] = index;
    }
  }
}

__global__ void max_backward_kernel(int64_t n, const float* dy, const int* arg, int index, float* dx) {
  HWGQ_KERNEL_LOOP(i, n) { dx[i] = arg[i] == index ? dy[i] : 0.f; }
}

__global__ void quotient_gradient_kernel(int64_t n, const float* dy, const float* y, const float* x, float* dx) {
  HWGQ_KERNEL_LOOP(i, n) { dx[i] = dy[i] * y[i] / x[i]; }
}

}  // namespace

void EltwiseLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = top[0]->count();
  const int nb = static_cast<int>(bottom.size());
  float* y = top[0]->mutable_gpu_data();
  if (n == 0) return;
  switch (op_) {
    case EltwiseParameter::SUM:
      gpu_scale(n, coeff_[0], bottom[0]->gpu_data(), y);
      for (int i = 1; i < nb; ++i) gpu_axpy(n, coeff_[i], bottom[i]->gpu_data(), y);
      break;
    case EltwiseParameter::PROD:
      gpu_mul(n, bottom[0]->gpu_data(), bottom[1]->gpu_data(), y);
      for (int i = 2; i < nb; ++i) gpu_mul(n, y, bottom[i]->gpu_data(), y);
      break;
    case EltwiseParameter::MAX: {
      const size_t bytes = sizeof(int) * size_t(n);
      if (!gpu_max_index_ || gpu_max_index_->size() < bytes) gpu_max_index_ = std::make_unique<SyncedMemory>(bytes);
      int* arg = static_cast<int*>(gpu_max_index_->mutable_gpu_data());
      max_init_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, bottom[0]->gpu_data(), y, arg);
      HWGQ_KERNEL_CHECK();
      for (int i = 1; i < nb; ++i) {
        max_update_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, bottom[i]->gpu_data(), i, y, arg);
        HWGQ_KERNEL_CHECK();
      }
      break;
    }
  }
}

void EltwiseLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  const int n = top[0]->count();
  if (n == 0) return;
  const int nb = static_cast<int>(bottom.size());
  const float* dy = top[0]->gpu_diff();
  for (int i = 0; i < nb; ++i) {
    if (!propagate_down[i]) continue;
    float* dx = bottom[i]->mutable_gpu_diff();
    switch (op_) {
      case EltwiseParameter::SUM:
        gpu_scale(n, coeff_[i], dy, dx);
        break;
      case EltwiseParameter::PROD:
        if (stable_prod_grad_) {
          gpu_copy(n, dy, dx);
          for (int k = 0; k < nb; ++k) {
            if (k != i) gpu_mul(n, dx, bottom[k]->gpu_data(), dx);
          }
        } else {
          quotient_gradient_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, dy, top[0]->gpu_data(),
                                                                             bottom[i]->gpu_data(), dx);
          HWGQ_KERNEL_CHECK();
        }
        break;
      case EltwiseParameter::MAX: {
        const int* arg = static_cast<const int*>(gpu_max_index_->gpu_data());
        max_backward_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, dy, arg, i, dx);
        HWGQ_KERNEL_CHECK();
        break;
      }
    }
  }
}

}  // namespace hwgq
