// Split on the GPU: only library calls, so plain C++ (no kernels to compile).
#include "hwgq/layers/split_layer.hpp"
#include "hwgq/math/gpu_blas.hpp"

namespace hwgq {

void SplitLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  float* dx = bottom[0]->mutable_gpu_diff();
  gpu_copy(n, top[0]->gpu_diff(), dx);
  for (size_t t = 1; t < top.size(); ++t) gpu_axpy(n, 1.f, top[t]->gpu_diff(), dx);
}

}  // namespace hwgq
