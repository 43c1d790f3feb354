#include "hwgq/layers/relu_layer.hpp"

namespace hwgq {

namespace {
// Below this many elements the thread start-up costs more than the loop.
constexpr int kParallelMin = 1 << 15;
}  // namespace

void ReLULayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  negative_slope_ = param_.relu_param().negative_slope();
}

void ReLULayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  // In place, backward sees only y; its sign tells the side of the kink only when the
  // slope is not negative.
  HWGQ_REQUIRE(bottom[0] != top[0] || negative_slope_ >= 0.f,
               where() << "cannot run in place with a negative negative_slope (" << negative_slope_
                       << "): the input's sign is lost");
  if (bottom[0] != top[0]) top[0]->reshape_like(*bottom[0]);
}

void ReLULayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  const float slope = negative_slope_;
#pragma omp parallel for if (n >= kParallelMin)
  for (int i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : slope * x[i];
}

void ReLULayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  // y > 0 exactly where x > 0 for a non-negative slope, so the top serves in place too; the
  // subgradient at x = 0 is taken as the slope, as in Caffe.
  const float* sign_source = bottom[0] == top[0] ? top[0]->cpu_data() : bottom[0]->cpu_data();
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
  const float slope = negative_slope_;
#pragma omp parallel for if (n >= kParallelMin)
  for (int i = 0; i < n; ++i) dx[i] = sign_source[i] > 0.f ? dy[i] : slope * dy[i];
}

}  // namespace hwgq
