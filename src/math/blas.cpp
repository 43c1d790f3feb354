#include "hwgq/math/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <cstring>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace hwgq {

void gemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, const float* b,
          float beta, float* c) {
  const int lda = (trans_a == Trans::No) ? k : m;
  const int ldb = (trans_b == Trans::No) ? n : k;
  cblas_sgemm(CblasRowMajor, trans_a == Trans::No ? CblasNoTrans : CblasTrans,
              trans_b == Trans::No ? CblasNoTrans : CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
}

void gemv(Trans trans_a, int m, int n, float alpha, const float* a, const float* x, float beta, float* y) {
  cblas_sgemv(CblasRowMajor, trans_a == Trans::No ? CblasNoTrans : CblasTrans, m, n, alpha, a, n, x, 1, beta, y, 1);
}

void axpy(int n, float alpha, const float* x, float* y) { cblas_saxpy(n, alpha, x, 1, y, 1); }

void axpby(int n, float alpha, const float* x, float beta, float* y) {
  for (int i = 0; i < n; ++i) y[i] = alpha * x[i] + beta * y[i];
}

void scal(int n, float alpha, float* x) { cblas_sscal(n, alpha, x, 1); }

float dot(int n, const float* x, const float* y) { return cblas_sdot(n, x, 1, y, 1); }

float asum(int n, const float* x) { return cblas_sasum(n, x, 1); }

void copy(int n, const float* x, float* y) {
  if (x != y) std::memcpy(y, x, sizeof(float) * n);
}

void set(int n, float value, float* x) {
  if (value == 0.f) {
    std::memset(x, 0, sizeof(float) * n);
  } else {
    std::fill(x, x + n, value);
  }
}

void set_num_threads(int threads) {
  if (threads <= 0) return;
  openblas_set_num_threads(threads);
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
}

int num_threads() { return openblas_get_num_threads(); }

BlasSingleThreadScope::BlasSingleThreadScope() : saved_(openblas_get_num_threads()) {
  if (saved_ != 1) openblas_set_num_threads(1);
}

BlasSingleThreadScope::~BlasSingleThreadScope() {
  if (saved_ != 1) openblas_set_num_threads(saved_);
}

}  // namespace hwgq
