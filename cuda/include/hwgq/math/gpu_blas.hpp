// The GPU counterparts of blas.hpp: row-major BLAS through cuBLAS plus elementwise kernels
// that several layers share. Every pointer is device memory (Blob::gpu_data and friends).
// Part of the CUDA backend (cuda/include is on the include path of hwgq_core only in a
// CUDA build); callers in src/ guard their uses with HWGQ_WITH_CUDA. No CUDA types appear
// here, so plain C++ may include it.
#pragma once

#include "hwgq/math/blas.hpp"

namespace hwgq {

// C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C, all row-major.
void gpu_gemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, const float* b,
              float beta, float* c);
// y = alpha * op(A) x + beta * y, with A stored M x N row-major.
void gpu_gemv(Trans trans_a, int m, int n, float alpha, const float* a, const float* x, float beta, float* y);
// y += alpha * x
void gpu_axpy(int n, float alpha, const float* x, float* y);
// y = alpha * x + beta * y
void gpu_axpby(int n, float alpha, const float* x, float beta, float* y);
void gpu_scal(int n, float alpha, float* x);
// Reductions return to the host, so they wait for the GPU: keep them out of hot loops.
float gpu_dot(int n, const float* x, const float* y);
float gpu_asum(int n, const float* x);
void gpu_copy(int n, const float* x, float* y);
void gpu_set(int n, float value, float* x);

// Elementwise: y[i] = a[i] op b[i]; y may alias a or b.
void gpu_add(int n, const float* a, const float* b, float* y);
void gpu_sub(int n, const float* a, const float* b, float* y);
void gpu_mul(int n, const float* a, const float* b, float* y);
// y[i] = alpha * x[i] (y may alias x).
void gpu_scale(int n, float alpha, const float* x, float* y);
// x[i] += alpha
void gpu_add_scalar(int n, float alpha, float* x);

}  // namespace hwgq
