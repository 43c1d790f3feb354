#include "hwgq/layers/sigmoid_layer.hpp"

#include <cmath>

namespace hwgq {

namespace {
constexpr int kParallelMin = 1 << 15;
}  // namespace

void SigmoidLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0] != top[0]) top[0]->reshape_like(*bottom[0]);
}

void SigmoidLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  // 0.5 * tanh(x / 2) + 0.5 is the same function without exp(-x) overflowing for x << 0.
#pragma omp parallel for if (n >= kParallelMin)
  for (int i = 0; i < n; ++i) y[i] = 0.5f * std::tanh(0.5f * x[i]) + 0.5f;
}

void SigmoidLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  const float* y = top[0]->cpu_data();
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
#pragma omp parallel for if (n >= kParallelMin)
  for (int i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.f - y[i]);
}

}  // namespace hwgq
