#include "hwgq/layers/dropout_layer.hpp"

#include "hwgq/math/blas.hpp"
#include "hwgq/math/random.hpp"

namespace hwgq {

void DropoutLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  ratio_ = param_.dropout_param().dropout_ratio();
  // p = 1 would drop everything and scale by infinity.
  HWGQ_REQUIRE(ratio_ >= 0.f && ratio_ < 1.f, where() << "dropout_ratio must lie in [0, 1), got " << ratio_);
  scale_ = 1.f / (1.f - ratio_);
}

void DropoutLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0] != top[0]) top[0]->reshape_like(*bottom[0]);
  mask_.resize(bottom[0]->count());
}

void DropoutLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  if (phase() != TRAIN) {
    copy(n, x, y);
    return;
  }
  rng_bernoulli(n, 1.f - ratio_, mask_.data());
  const unsigned* mask = mask_.data();
  const float scale = scale_;
  for (int i = 0; i < n; ++i) y[i] = mask[i] ? x[i] * scale : 0.f;
}

void DropoutLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
  if (phase() != TRAIN) {
    copy(n, dy, dx);
    return;
  }
  const unsigned* mask = mask_.data();
  const float scale = scale_;
  for (int i = 0; i < n; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.f;
}

}  // namespace hwgq
