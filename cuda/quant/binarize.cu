// Weight binarization on the GPU: alpha_i * sign(W[i,:]) per output filter, as
// binarize_rows (src/quant/binarize.cpp) computes it on the CPU.
#include "hwgq/quant/binarize.hpp"
#include "hwgq/quant/gpu_binarize.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

constexpr int kBinarizeThreads = 256;

// One block per row: sum |w| (in double, like the CPU), then write alpha * sign(w). The
// row is read twice, the second time mostly from L2 (a filter has at most a few thousand
// weights).
__global__ void __launch_bounds__(kBinarizeThreads)
    binarize_kernel(const float* w, int cols, bool use_alpha, float* out, float* alphas) {
  const int64_t row = blockIdx.x;
  const float* src = w + row * cols;
  float* dst = out + row * cols;
  __shared__ float shared_alpha;
  if (use_alpha && cols > 0) {
    double sum = 0.0;
    for (int j = threadIdx.x; j < cols; j += kBinarizeThreads) sum += fabsf(src[j]);
    __shared__ double partial[kBinarizeThreads / 32];
    for (int offset = 16; offset > 0; offset >>= 1) sum += __shfl_down_sync(0xffffffffu, sum, offset);
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
      double total = 0.0;
      for (int k = 0; k < kBinarizeThreads / 32; ++k) total += partial[k];
      shared_alpha = static_cast<float>(total / cols);
    }
  } else if (threadIdx.x == 0) {
    shared_alpha = 1.f;
  }
  __syncthreads();
  const float alpha = shared_alpha;
  // sign(0) = +1, as binary_sign. out may equal w: each thread reads its element first.
  for (int j = threadIdx.x; j < cols; j += kBinarizeThreads) dst[j] = alpha * (src[j] >= 0.f ? 1.f : -1.f);
  if (alphas && threadIdx.x == 0) alphas[row] = alpha;
}

}  // namespace

void gpu_binarize_rows(const float* w, int rows, int cols, bool use_alpha, float* out, float* alphas) {
  if (rows <= 0) return;
  binarize_kernel<<<rows, kBinarizeThreads>>>(w, cols, use_alpha, out, alphas);
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
