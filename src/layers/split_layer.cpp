#include "hwgq/layers/split_layer.hpp"

#include "hwgq/math/blas.hpp"

namespace hwgq {

void SplitLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  for (size_t t = 0; t < top.size(); ++t) {
    // In place, the tops' gradients would overwrite each other in the shared buffer.
    HWGQ_REQUIRE(top[t] != bottom[0], where() << "cannot run in place (top " << t << " is the bottom)");
    top[t]->reshape_like(*bottom[0]);
    // Re-shared on every reshape: a bottom that grew has a new buffer.
    top[t]->share_data(*bottom[0]);
  }
}

void SplitLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  float* dx = bottom[0]->mutable_cpu_diff();
  copy(n, top[0]->cpu_diff(), dx);
  for (size_t t = 1; t < top.size(); ++t) axpy(n, 1.f, top[t]->cpu_diff(), dx);
}

}  // namespace hwgq
