#include "hwgq/solver_kernels.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

__global__ void l1_kernel(int64_t n, float decay, const float* data, float* diff) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float v = data[i];
    diff[i] += decay * float((v > 0.f) - (v < 0.f));
  }
}

__global__ void sgd_kernel(int64_t n, float rate, float momentum, float* diff, float* history) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float h = rate * diff[i] + momentum * history[i];
    history[i] = h;
    diff[i] = h;
  }
}

__global__ void nesterov_kernel(int64_t n, float rate, float momentum, float* diff, float* history) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float previous = history[i];
    const float h = momentum * previous + rate * diff[i];
    history[i] = h;
    diff[i] = (1.f + momentum) * h - momentum * previous;
  }
}

__global__ void adam_kernel(int64_t n, float rate, float beta1, float beta2, float eps, float* diff, float* m,
                            float* v) {
  HWGQ_KERNEL_LOOP(i, n) {
    const float g = diff[i];
    const float mi = beta1 * m[i] + (1.f - beta1) * g;
    const float vi = beta2 * v[i] + (1.f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    diff[i] = rate * mi / (sqrtf(vi) + eps);
  }
}

}  // namespace

void gpu_l1_regularize(int n, float decay, const float* data, float* diff) {
  if (n <= 0) return;
  l1_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, decay, data, diff);
  HWGQ_KERNEL_CHECK();
}

void gpu_sgd_update(int n, float rate, float momentum, float* diff, float* history) {
  if (n <= 0) return;
  sgd_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, rate, momentum, diff, history);
  HWGQ_KERNEL_CHECK();
}

void gpu_nesterov_update(int n, float rate, float momentum, float* diff, float* history) {
  if (n <= 0) return;
  nesterov_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, rate, momentum, diff, history);
  HWGQ_KERNEL_CHECK();
}

void gpu_adam_update(int n, float rate_corrected, float beta1, float beta2, float eps, float* diff, float* m,
                     float* v) {
  if (n <= 0) return;
  adam_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, rate_corrected, beta1, beta2, eps, diff, m, v);
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
