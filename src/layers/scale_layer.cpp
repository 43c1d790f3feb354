#include "hwgq/layers/scale_layer.hpp"

#include <algorithm>

#include "hwgq/filler.hpp"

namespace hwgq {

namespace {

constexpr int kParallelMin = 1 << 15;

// One fill specification per blob; an absent filler means the identity map (s = 1, b = 0).
FillerParameter filler_or_constant(bool present, const FillerParameter& filler, float value) {
  if (present) return filler;
  FillerParameter constant;
  constant.set_type("constant");
  constant.set_value(value);
  return constant;
}

}  // namespace

int ScaleLayer::scale_axis(const Blob& input, const Blob& scale) const {
  if (scale.num_axes() == 0) return 0;
  const int axis = param_.scale_param().axis();
  HWGQ_REQUIRE(axis >= -input.num_axes() && axis < input.num_axes(),
               where() << "axis " << axis << " is out of range for bottom " << input.shape_string());
  return input.canonical_axis(axis);
}

void ScaleLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const ScaleParameter& p = param_.scale_param();
  bias_term_ = p.bias_term();
  const Blob& x = *bottom[0];
  std::vector<int> scale_shape;
  if (bottom.size() == 1) {
    HWGQ_REQUIRE(p.axis() >= -x.num_axes() && p.axis() < x.num_axes(),
                 where() << "axis " << p.axis() << " is out of range for bottom " << x.shape_string());
    const int axis = x.canonical_axis(p.axis());
    HWGQ_REQUIRE(p.num_axes() >= -1, where() << "num_axes must be -1 (all remaining) or at least 0, got "
                                             << p.num_axes());
    const int end = p.num_axes() == -1 ? x.num_axes() : axis + p.num_axes();
    HWGQ_REQUIRE(end <= x.num_axes(), where() << "axis " << axis << " with num_axes " << p.num_axes()
                                              << " reaches past the axes of bottom " << x.shape_string());
    scale_shape.assign(x.shape().begin() + axis, x.shape().begin() + end);
  } else {
    scale_shape = bottom[1]->shape();
  }

  const size_t expected = (bottom.size() == 1 ? 1 : 0) + (bias_term_ ? 1 : 0);
  bias_index_ = bias_term_ ? static_cast<int>(expected) - 1 : -1;
  if (blobs_.empty()) {
    if (bottom.size() == 1) {
      auto scale = std::make_shared<Blob>(scale_shape);
      fill_blob(filler_or_constant(p.has_filler(), p.filler(), 1.f), scale.get());
      blobs_.push_back(scale);
    }
    if (bias_term_) {
      auto bias = std::make_shared<Blob>(scale_shape);
      fill_blob(filler_or_constant(p.has_bias_filler(), p.bias_filler(), 0.f), bias.get());
      blobs_.push_back(bias);
    }
  } else {
    HWGQ_REQUIRE(blobs_.size() == expected, where() << "expects " << expected << " stored blob(s), got "
                                                    << blobs_.size());
    for (size_t i = 0; i < blobs_.size(); ++i) {
      HWGQ_REQUIRE(blobs_[i]->shape() == scale_shape,
                   where() << "stored " << (int(i) == bias_index_ ? "bias" : "scale") << " blob has shape "
                           << blobs_[i]->shape_string() << " but " << hwgq::shape_string(scale_shape)
                           << " is expected for bottom " << x.shape_string());
    }
  }
}

void ScaleLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  const Blob& s = bottom.size() > 1 ? *bottom[1] : *blobs_[0];
  axis_ = scale_axis(x, s);
  bool fits = axis_ + s.num_axes() <= x.num_axes();
  for (int i = 0; fits && i < s.num_axes(); ++i) fits = x.shape(axis_ + i) == s.shape(i);
  HWGQ_REQUIRE(fits, where() << "scale of shape " << s.shape_string() << " does not match bottom "
                             << x.shape_string() << " at axis " << axis_);
  outer_ = x.count(0, axis_);
  dim_ = s.count();
  inner_ = x.count(axis_ + s.num_axes());
  if (bottom[0] != top[0]) top[0]->reshape_like(x);
}

void ScaleLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->cpu_data();
  if (bottom[0] == top[0]) {
    // The gradient of s needs x, which the output is about to overwrite.
    saved_input_.reshape_like(*bottom[0]);
    std::copy(x, x + bottom[0]->count(), saved_input_.mutable_cpu_data());
  }
  const float* s = bottom.size() > 1 ? bottom[1]->cpu_data() : blobs_[0]->cpu_data();
  const float* b = bias_term_ ? blobs_[bias_index_]->cpu_data() : nullptr;
  float* y = top[0]->mutable_cpu_data();
  const size_t rows = size_t(outer_) * dim_;
  const int dim = dim_, inner = inner_;
#pragma omp parallel for if (rows * inner >= size_t(kParallelMin))
  for (size_t r = 0; r < rows; ++r) {
    const int d = static_cast<int>(r % dim);
    const float sd = s[d], bd = b ? b[d] : 0.f;
    const float* xr = x + r * inner;
    float* yr = y + r * inner;
#pragma omp simd
    for (int i = 0; i < inner; ++i) yr[i] = xr[i] * sd + bd;
  }
}

void ScaleLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  const bool two_bottoms = bottom.size() > 1;
  const bool want_scale = two_bottoms ? bool(propagate_down[1]) : param_propagate_down(0);
  const bool want_bias = bias_term_ && param_propagate_down(bias_index_);
  const float* dy = top[0]->cpu_diff();
  const int dim = dim_, inner = inner_, outer = outer_;

  // Parameter gradients first: in place, dx overwrites dy.
  if (want_scale || want_bias) {
    const float* x = bottom[0] == top[0] ? saved_input_.cpu_data() : bottom[0]->cpu_data();
    float* ds = want_scale ? (two_bottoms ? bottom[1]->mutable_cpu_diff() : blobs_[0]->mutable_cpu_diff()) : nullptr;
    float* db = want_bias ? blobs_[bias_index_]->mutable_cpu_diff() : nullptr;
    // A learned blob accumulates its gradient (iter_size); a bottom's diff is overwritten.
    const bool accumulate_scale = !two_bottoms;
#pragma omp parallel for if (dim > 1 && size_t(outer) * dim * inner >= size_t(kParallelMin))
    for (int d = 0; d < dim; ++d) {
      double sum_dyx = 0.0, sum_dy = 0.0;
      for (int o = 0; o < outer; ++o) {
        const size_t off = (size_t(o) * dim + d) * inner;
        const float* g = dy + off;
        const float* xr = x + off;
        float ra = 0.f, rb = 0.f;
#pragma omp simd reduction(+ : ra, rb)
        for (int i = 0; i < inner; ++i) {
          ra += g[i] * xr[i];
          rb += g[i];
        }
        sum_dyx += ra;
        sum_dy += rb;
      }
      if (ds) ds[d] = static_cast<float>(sum_dyx) + (accumulate_scale ? ds[d] : 0.f);
      if (db) db[d] += static_cast<float>(sum_dy);
    }
  }

  if (propagate_down[0]) {
    const float* s = two_bottoms ? bottom[1]->cpu_data() : blobs_[0]->cpu_data();
    float* dx = bottom[0]->mutable_cpu_diff();
    const size_t rows = size_t(outer) * dim;
#pragma omp parallel for if (rows * inner >= size_t(kParallelMin))
    for (size_t r = 0; r < rows; ++r) {
      const float sd = s[r % dim];
      const float* g = dy + r * inner;
      float* d = dx + r * inner;
#pragma omp simd
      for (int i = 0; i < inner; ++i) d[i] = g[i] * sd;
    }
  }
}

}  // namespace hwgq
