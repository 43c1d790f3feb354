// InnerProduct on the GPU: the CPU layer's GEMMs through cuBLAS; the bias is a rank-1
// update with a vector of ones, its gradient a GEMV against the same ones.
#include "hwgq/layers/inner_product_layer.hpp"
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

void InnerProductLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const float* w = gpu_weights_for_forward();
  const float* x = bottom[0]->gpu_data();
  float* y = top[0]->mutable_gpu_data();
  // Y (M x N) = X (M x K) * W^T, with W stored N x K (or K x N when transposed).
  gpu_gemm(Trans::No, transpose_ ? Trans::No : Trans::Yes, m_, num_output_, k_, 1.f, x, w, 0.f, y);
  if (bias_term_) {
    // Y += ones(M) * b^T
    gpu_gemm(Trans::No, Trans::No, m_, num_output_, 1, 1.f, cuda::ones(m_), blobs_[1]->gpu_data(), 1.f, y);
  }
}

void InnerProductLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  const float* dy = top[0]->gpu_diff();
  if (param_propagate_down(0)) {
    const float* x = bottom[0]->gpu_data();
    float* dw = blobs_[0]->mutable_gpu_diff();
    if (transpose_) {
      // dW (K x N) += X^T * dY
      gpu_gemm(Trans::Yes, Trans::No, k_, num_output_, m_, 1.f, x, dy, 1.f, dw);
    } else {
      // dW (N x K) += dY^T * X
      gpu_gemm(Trans::Yes, Trans::No, num_output_, k_, m_, 1.f, dy, x, 1.f, dw);
    }
  }
  if (bias_term_ && param_propagate_down(1)) {
    // db += dY^T * ones(M)
    gpu_gemv(Trans::Yes, m_, num_output_, 1.f, dy, cuda::ones(m_), 1.f, blobs_[1]->mutable_gpu_diff());
  }
  if (propagate_down[0]) {
    const float* w = gpu_weights_for_backward();
    // dX (M x K) = dY (M x N) * W (N x K), or dY * W^T when W is stored K x N.
    gpu_gemm(Trans::No, transpose_ ? Trans::Yes : Trans::No, m_, k_, num_output_, 1.f, dy, w, 0.f,
             bottom[0]->mutable_gpu_diff());
  }
}

}  // namespace hwgq
