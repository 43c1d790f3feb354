#include "hwgq/layers/inner_product_layer.hpp"

#include <cstdint>

#include "hwgq/layers/param_blobs.hpp"
#include "hwgq/math/blas.hpp"

namespace hwgq {

void InnerProductLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const InnerProductParameter& p = param_.inner_product_param();
  const std::string at = where();
  HWGQ_REQUIRE(p.has_num_output() && p.num_output() > 0 && p.num_output() <= INT32_MAX, at << "needs num_output > 0");
  num_output_ = static_cast<int>(p.num_output());
  bias_term_ = p.bias_term();
  transpose_ = p.transpose();
  HWGQ_REQUIRE(p.axis() >= -bottom[0]->num_axes() && p.axis() < bottom[0]->num_axes(),
               at << "axis " << p.axis() << " is out of range for the bottom " << bottom[0]->shape_string());
  axis_ = bottom[0]->canonical_axis(p.axis());
  k_ = bottom[0]->count(axis_);
  HWGQ_REQUIRE(k_ > 0, at << "has no inputs per sample: bottom " << bottom[0]->shape_string() << ", axis " << axis_);

  const std::vector<int> weight_shape = transpose_ ? std::vector<int>{k_, num_output_} : std::vector<int>{num_output_, k_};
  setup_weight_and_bias(at, &blobs_, weight_shape, p.weight_filler(), bias_term_, num_output_, p.bias_filler());
}

void InnerProductLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  HWGQ_REQUIRE(axis_ < x.num_axes() && x.count(axis_) == k_,
               where() << "was set up for " << k_ << " inputs per sample (from axis " << axis_
                       << "), but the bottom is now " << x.shape_string());
  m_ = x.count(0, axis_);
  std::vector<int> shape(x.shape().begin(), x.shape().begin() + axis_);
  shape.push_back(num_output_);
  top[0]->reshape(shape);
}

void InnerProductLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* w = weights_for_forward();
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  // Y (M x N) = X (M x K) * W^T, with W stored N x K (or K x N when transposed).
  gemm(Trans::No, transpose_ ? Trans::No : Trans::Yes, m_, num_output_, k_, 1.f, x, w, 0.f, y);
  if (bias_term_) {
    const float* b = blobs_[1]->cpu_data();
    for (int i = 0; i < m_; ++i) axpy(num_output_, 1.f, b, y + static_cast<size_t>(i) * num_output_);
  }
}

void InnerProductLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                     const BlobVec& bottom) {
  const float* dy = top[0]->cpu_diff();
  if (param_propagate_down(0)) {
    const float* x = bottom[0]->cpu_data();
    float* dw = blobs_[0]->mutable_cpu_diff();
    if (transpose_) {
      // dW (K x N) += X^T * dY
      gemm(Trans::Yes, Trans::No, k_, num_output_, m_, 1.f, x, dy, 1.f, dw);
    } else {
      // dW (N x K) += dY^T * X
      gemm(Trans::Yes, Trans::No, num_output_, k_, m_, 1.f, dy, x, 1.f, dw);
    }
  }
  if (bias_term_ && param_propagate_down(1)) {
    float* db = blobs_[1]->mutable_cpu_diff();
    for (int i = 0; i < m_; ++i) axpy(num_output_, 1.f, dy + static_cast<size_t>(i) * num_output_, db);
  }
  if (propagate_down[0]) {
    const float* w = weights_for_backward();
    // dX (M x K) = dY (M x N) * W (N x K), or dY * W^T when W is stored K x N.
    gemm(Trans::No, transpose_ ? Trans::Yes : Trans::No, m_, k_, num_output_, 1.f, dy, w, 0.f,
         bottom[0]->mutable_cpu_diff());
  }
}

}  // namespace hwgq
