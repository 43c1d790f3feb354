// Dropout on the GPU. The mask is not copied from the host generator (that would cost a
// host pass and an upload per batch); each element draws from a counter-based hash of
// (seed, index), the seed coming from the run's generator, so a seeded run still
// reproduces itself, though its mask differs from a CPU run's.
#include "hwgq/layers/dropout_layer.hpp"
#include "hwgq/math/counter_hash.hpp"
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

// Kept with probability `keep`: a uniform number on the 2^-24 grid in [0, 1) below keep.
__device__ inline bool kept(uint64_t seed, int64_t i, float keep) {
  const uint32_t bits = static_cast<uint32_t>(counter_hash(seed, uint64_t(i)) >> 40);
  return float(bits) * (1.f / 16777216.f) < keep;
}

__global__ void dropout_kernel(int64_t n, uint64_t seed, float keep, float scale, const float* in, float* out) {
  HWGQ_KERNEL_LOOP(i, n) { out[i] = kept(seed, i, keep) ? in[i] * scale : 0.f; }
}

}  // namespace

void DropoutLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  const float* x = bottom[0]->gpu_data();
  float* y = top[0]->mutable_gpu_data();
  if (phase() != TRAIN) {
    gpu_copy(n, x, y);
    return;
  }
  gpu_seed_ = Context::get().rng()();
  if (n == 0) return;
  dropout_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, gpu_seed_, 1.f - ratio_, scale_, x, y);
  HWGQ_KERNEL_CHECK();
}

void DropoutLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  const float* dy = top[0]->gpu_diff();
  float* dx = bottom[0]->mutable_gpu_diff();
  if (phase() != TRAIN) {
    gpu_copy(n, dy, dx);
    return;
  }
  if (n == 0) return;
  dropout_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, gpu_seed_, 1.f - ratio_, scale_, dy, dx);
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
