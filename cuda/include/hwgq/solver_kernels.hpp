// The solvers' update rules on the GPU (cuda/solver_kernels.cu), so that a GPU run keeps
// its parameters, gradients and history on the device instead of copying every weight
// to the host and back each iteration. Same arithmetic as the CPU rules in solver.cpp;
// all pointers are device memory. Internal to the CUDA backend, like hwgq/util/cuda.hpp.
#pragma once

namespace hwgq {

// diff += decay * sign(data)  (L1 weight decay; L2 is gpu_axpy).
void gpu_l1_regularize(int n, float decay, const float* data, float* diff);
// history = momentum * history + rate * diff; diff = history.
void gpu_sgd_update(int n, float rate, float momentum, float* diff, float* history);
// h_new = m * h + rate * diff; diff = (1 + m) * h_new - m * h.
void gpu_nesterov_update(int n, float rate, float momentum, float* diff, float* history);
// Adam with the bias correction folded into `rate_corrected` (rate * sqrt(1 - b2^t) / (1 - b1^t)).
void gpu_adam_update(int n, float rate_corrected, float beta1, float beta2, float eps, float* diff, float* m,
                     float* v);

}  // namespace hwgq
