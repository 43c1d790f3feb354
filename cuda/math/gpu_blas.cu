// Row-major BLAS on the GPU through cuBLAS (which is column-major), and the elementwise
// kernels several layers share.
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

cublasOperation_t op(Trans t) { return t == Trans::No ? CUBLAS_OP_N : CUBLAS_OP_T; }

__global__ void set_kernel(int64_t n, float value, float* x) {
  HWGQ_KERNEL_LOOP(i, n) { x[i] = value; }
}

__global__ void axpby_kernel(int64_t n, float alpha, const float* x, float beta, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = alpha * x[i] + beta * y[i]; }
}

__global__ void add_kernel(int64_t n, const float* a, const float* b, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = a[i] + b[i]; }
}

__global__ void sub_kernel(int64_t n, const float* a, const float* b, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = a[i] - b[i]; }
}

__global__ void mul_kernel(int64_t n, const float* a, const float* b, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = a[i] * b[i]; }
}

__global__ void scale_kernel(int64_t n, float alpha, const float* x, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = alpha * x[i]; }
}

__global__ void add_scalar_kernel(int64_t n, float alpha, float* x) {
  HWGQ_KERNEL_LOOP(i, n) { x[i] += alpha; }
}

}  // namespace

// A row-major M x N matrix is, read column-major, its N x M transpose. So the row-major
// C = op(A) op(B) is the column-major C^T = op(B)^T op(A)^T: swap the operands and M/N.
void gpu_gemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, const float* b,
              float beta, float* c) {
  if (m == 0 || n == 0) return;
  const int lda = trans_a == Trans::No ? k : m;
  const int ldb = trans_b == Trans::No ? n : k;
  HWGQ_CUBLAS_CHECK(cublasSgemm(cuda::cublas_handle(), op(trans_b), op(trans_a), n, m, k, &alpha, b, ldb, a, lda,
                                &beta, c, n));
}

// Row-major A (M x N) is the column-major N x M matrix A^T, so op flips.
void gpu_gemv(Trans trans_a, int m, int n, float alpha, const float* a, const float* x, float beta, float* y) {
  if (m == 0 || n == 0) {
    // An empty product still scales y, as BLAS defines.
    const int len = trans_a == Trans::No ? m : n;
    if (len > 0) gpu_scal(len, beta, y);
    return;
  }
  const cublasOperation_t flipped = trans_a == Trans::No ? CUBLAS_OP_T : CUBLAS_OP_N;
  HWGQ_CUBLAS_CHECK(cublasSgemv(cuda::cublas_handle(), flipped, n, m, &alpha, a, n, x, 1, &beta, y, 1));
}

void gpu_axpy(int n, float alpha, const float* x, float* y) {
  if (n <= 0) return;
  HWGQ_CUBLAS_CHECK(cublasSaxpy(cuda::cublas_handle(), n, &alpha, x, 1, y, 1));
}

void gpu_axpby(int n, float alpha, const float* x, float beta, float* y) {
  if (n <= 0) return;
  axpby_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, alpha, x, beta, y);
  HWGQ_KERNEL_CHECK();
}

void gpu_scal(int n, float alpha, float* x) {
  if (n <= 0) return;
  HWGQ_CUBLAS_CHECK(cublasSscal(cuda::cublas_handle(), n, &alpha, x, 1));
}

float gpu_dot(int n, const float* x, const float* y) {
  if (n <= 0) return 0.f;
  float result = 0.f;
  HWGQ_CUBLAS_CHECK(cublasSdot(cuda::cublas_handle(), n, x, 1, y, 1, &result));
  return result;
}

float gpu_asum(int n, const float* x) {
  if (n <= 0) return 0.f;
  float result = 0.f;
  HWGQ_CUBLAS_CHECK(cublasSasum(cuda::cublas_handle(), n, x, 1, &result));
  return result;
}

void gpu_copy(int n, const float* x, float* y) {
  if (n <= 0 || x == y) return;
  HWGQ_CUDA_CHECK(cudaMemcpyAsync(y, x, sizeof(float) * size_t(n), cudaMemcpyDeviceToDevice, 0));
}

void gpu_set(int n, float value, float* x) {
  if (n <= 0) return;
  if (value == 0.f) {
    HWGQ_CUDA_CHECK(cudaMemsetAsync(x, 0, sizeof(float) * size_t(n), 0));
    return;
  }
  set_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, value, x);
  HWGQ_KERNEL_CHECK();
}

void gpu_add(int n, const float* a, const float* b, float* y) {
  if (n <= 0) return;
  add_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, a, b, y);
  HWGQ_KERNEL_CHECK();
}

void gpu_sub(int n, const float* a, const float* b, float* y) {
  if (n <= 0) return;
  sub_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, a, b, y);
  HWGQ_KERNEL_CHECK();
}

void gpu_mul(int n, const float* a, const float* b, float* y) {
  if (n <= 0) return;
  mul_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, a, b, y);
  HWGQ_KERNEL_CHECK();
}

void gpu_scale(int n, float alpha, const float* x, float* y) {
  if (n <= 0) return;
  scale_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, alpha, x, y);
  HWGQ_KERNEL_CHECK();
}

void gpu_add_scalar(int n, float alpha, float* x) {
  if (n <= 0) return;
  add_scalar_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, alpha, x);
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
