#include "hwgq/layers/softmax_layer.hpp"

#include <algorithm>
#include <cmath>

namespace hwgq {

namespace {
constexpr int kParallelMin = 1 << 14;
}  // namespace

void SoftmaxLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  const int axis = param_.softmax_param().axis();
  HWGQ_REQUIRE(axis >= -x.num_axes() && axis < x.num_axes(),
               where() << "axis " << axis << " is out of range for bottom " << x.shape_string());
  axis_ = x.canonical_axis(axis);
  outer_ = x.count(0, axis_);
  classes_ = x.shape(axis_);
  HWGQ_REQUIRE(classes_ > 0, where() << "needs at least one class along axis " << axis_ << ", bottom is "
                                     << x.shape_string());
  inner_ = x.count(axis_ + 1);
  scratch_.reshape({outer_, inner_});
  if (bottom[0] != top[0]) top[0]->reshape_like(x);
}

// The classes of one (outer, inner) position are inner_ apart; looping over classes outside
// and positions inside keeps the innermost loop contiguous (and vectorised).
void SoftmaxLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  float* scratch = scratch_.mutable_cpu_data();
  const int C = classes_, inner = inner_;
  if (inner == 1) {
    // Scores of one sample are contiguous (N x C classification): one row at a time.
#pragma omp parallel for if (size_t(outer_) * C >= size_t(kParallelMin))
    for (int o = 0; o < outer_; ++o) {
      const float* xo = x + size_t(o) * C;
      float* yo = y + size_t(o) * C;
      const float top = *std::max_element(xo, xo + C);
      float sum = 0.f;
      for (int c = 0; c < C; ++c) {
        yo[c] = std::exp(xo[c] - top);
        sum += yo[c];
      }
      const float inv = 1.f / sum;
      for (int c = 0; c < C; ++c) yo[c] *= inv;
    }
    return;
  }
#pragma omp parallel for if (size_t(outer_) * C * inner >= size_t(kParallelMin))
  for (int o = 0; o < outer_; ++o) {
    const float* xo = x + size_t(o) * C * inner;
    float* yo = y + size_t(o) * C * inner;
    float* acc = scratch + size_t(o) * inner;
    std::copy(xo, xo + inner, acc);
    for (int c = 1; c < C; ++c) {
      const float* xc = xo + size_t(c) * inner;
      for (int i = 0; i < inner; ++i) acc[i] = std::max(acc[i], xc[i]);
    }
    for (int c = 0; c < C; ++c) {
      const float* xc = xo + size_t(c) * inner;
      float* yc = yo + size_t(c) * inner;
      for (int i = 0; i < inner; ++i) yc[i] = std::exp(xc[i] - acc[i]);
    }
    std::fill(acc, acc + inner, 0.f);
    for (int c = 0; c < C; ++c) {
      const float* yc = yo + size_t(c) * inner;
      for (int i = 0; i < inner; ++i) acc[i] += yc[i];
    }
    for (int i = 0; i < inner; ++i) acc[i] = 1.f / acc[i];
    for (int c = 0; c < C; ++c) {
      float* yc = yo + size_t(c) * inner;
      for (int i = 0; i < inner; ++i) yc[i] *= acc[i];
    }
  }
}

// dx_c = y_c * (dy_c - sum_k dy_k y_k).
void SoftmaxLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* y = top[0]->cpu_data();
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
  float* scratch = scratch_.mutable_cpu_data();
  const int C = classes_, inner = inner_;
  if (inner == 1) {
#pragma omp parallel for if (size_t(outer_) * C >= size_t(kParallelMin))
    for (int o = 0; o < outer_; ++o) {
      const float* yo = y + size_t(o) * C;
      const float* go = dy + size_t(o) * C;
      float* d = dx + size_t(o) * C;
      float dot = 0.f;
      for (int c = 0; c < C; ++c) dot += yo[c] * go[c];
      for (int c = 0; c < C; ++c) d[c] = yo[c] * (go[c] - dot);
    }
    return;
  }
#pragma omp parallel for if (size_t(outer_) * C * inner >= size_t(kParallelMin))
  for (int o = 0; o < outer_; ++o) {
    const size_t base = size_t(o) * C * inner;
    float* dot = scratch + size_t(o) * inner;
    std::fill(dot, dot + inner, 0.f);
    for (int c = 0; c < C; ++c) {
      const float* yc = y + base + size_t(c) * inner;
      const float* gc = dy + base + size_t(c) * inner;
      for (int i = 0; i < inner; ++i) dot[i] += yc[i] * gc[i];
    }
    for (int c = 0; c < C; ++c) {
      const size_t off = base + size_t(c) * inner;
      for (int i = 0; i < inner; ++i) dx[off + i] = y[off + i] * (dy[off + i] - dot[i]);
    }
  }
}

}  // namespace hwgq
