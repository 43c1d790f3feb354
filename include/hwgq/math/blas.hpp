// Thin, row-major wrappers over CBLAS (OpenBLAS) and a few elementwise helpers. Every
// GEMM in the CPU layers goes through gemm() so the backend can change in one place.
#pragma once

namespace hwgq {

enum class Trans { No, Yes };

// C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C, all row-major.
void gemm(Trans trans_a, Trans trans_b, int m, int n, int k, float alpha, const float* a, const float* b,
          float beta, float* c);
// y[M] = alpha * op(A) x + beta * y, with A stored M x N row-major.
void gemv(Trans trans_a, int m, int n, float alpha, const float* a, const float* x, float beta, float* y);
// y += alpha * x
void axpy(int n, float alpha, const float* x, float* y);
// y = alpha * x + beta * y
void axpby(int n, float alpha, const float* x, float beta, float* y);
void scal(int n, float alpha, float* x);
float dot(int n, const float* x, const float* y);
float asum(int n, const float* x);
void copy(int n, const float* x, float* y);
void set(int n, float value, float* x);

// Thread count OpenBLAS and the elementwise loops use (0 = library default).
void set_num_threads(int threads);
int num_threads();

// While alive, the BLAS calls above run on the calling thread only, for loops that already
// spread work over OpenMP threads (one image per thread): a threaded BLAS inside them would
// oversubscribe the cores. Restores the previous BLAS thread count when it ends.
class BlasSingleThreadScope {
 public:
  BlasSingleThreadScope();
  ~BlasSingleThreadScope();
  BlasSingleThreadScope(const BlasSingleThreadScope&) = delete;
  BlasSingleThreadScope& operator=(const BlasSingleThreadScope&) = delete;

 private:
  int saved_;
};

}  // namespace hwgq
