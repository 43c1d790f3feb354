#include "hwgq/layers/binary_inner_product_layer.hpp"

#include <glog/logging.h>

#include "hwgq/math/blas.hpp"
#include "hwgq/quant/binarize.hpp"

namespace hwgq {

void BinaryInnerProductLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const BinaryInnerProductParameter& p = param_.binary_inner_product_param();
  use_alpha_ = p.use_alpha();
  use_binarization_ = p.use_binarization();
  // The authors' layer ignores transpose; refusing it is clearer than silently reading
  // K x N weights as N x K.
  HWGQ_REQUIRE(!param_.inner_product_param().transpose(),
               where() << "does not support inner_product_param.transpose: true (alpha is taken per output row of "
                          "num_output x K weights)");
  InnerProductLayer::layer_setup(bottom, top);
  binary_weights_.reshape_like(*blobs_[0]);
  alphas_.assign(num_output(), 1.f);
}

void BinaryInnerProductLayer::binarize() {
  const Blob& w = *blobs_[0];
  binary_weights_.reshape_like(w);
  alphas_.resize(num_output());
  if (use_binarization_) {
    // One alpha per output over its K inputs (docs/hwgq-paper.md 1.1).
    binarize_rows(w.cpu_data(), num_output(), input_size(), use_alpha_, binary_weights_.mutable_cpu_data(),
                  alphas_.data());
  } else {
    copy(w.count(), w.cpu_data(), binary_weights_.mutable_cpu_data());
    alphas_.assign(num_output(), 1.f);
  }
}

const Blob& BinaryInnerProductLayer::binarized_weights() {
  binarize();
  return binary_weights_;
}

const float* BinaryInnerProductLayer::weights_for_forward() {
  if (!use_binarization_) return blobs_[0]->cpu_data();
  binarize();
  return binary_weights_.cpu_data();
}

const float* BinaryInnerProductLayer::weights_for_backward() {
  return use_binarization_ ? binary_weights_.cpu_data() : blobs_[0]->cpu_data();
}

bool BinaryInnerProductLayer::integer_forward_allowed() const {
  return use_binarization_ && param_.binary_inner_product_param().integer_forward();
}

void BinaryInnerProductLayer::use_integer_forward(const kernels::LevelCodes& codes) {
  HWGQ_REQUIRE(integer_forward_allowed(), where() << "the integer forward needs use_binarization and integer_forward");
  integer_codes_ = std::make_unique<kernels::LevelCodes>(codes);
}

void BinaryInnerProductLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  if (integer_codes_ && forward_integer(bottom, top)) return;
  InnerProductLayer::forward_cpu(bottom, top);
}

bool BinaryInnerProductLayer::forward_integer(const BlobVec& bottom, const BlobVec& top) {
  const int depth = input_size();
  const int outputs = num_output();
  const int rows = bottom[0]->count() / depth;
  codes_.resize(bottom[0]->count());
  if (!kernels::map_codes(bottom[0]->cpu_data(), codes_.size(), *integer_codes_, codes_.data())) {
    if (!warned_fallback_) {
      LOG(WARNING) << where() << "a bottom value is neither 0 nor one of the Quant levels (NaN?); this forward and "
                   << "any such later one use the float path";
      warned_fallback_ = true;
    }
    return false;
  }
  // Signs, alphas and the float alpha * sign(W) that backward uses, in one pass over W.
  binary_weights_.reshape_like(*blobs_[0]);
  kernels::pack_signs(blobs_[0]->cpu_data(), outputs, depth, use_alpha_, &signs_, binary_weights_.mutable_cpu_data());
  alphas_ = signs_.alphas;
  kernels::pack_matrix_codes(codes_.data(), rows, depth, &packed_);
  // C = sign(W) codes^T is outputs x rows; the top is rows x outputs.
  sums_.resize(static_cast<size_t>(outputs) * rows);
  kernels::code_sign_gemm(signs_, packed_, sums_.data(), rows, true);
  const float* bias = param_.inner_product_param().bias_term() ? blobs_[1]->cpu_data() : nullptr;
  kernels::scale_rows(sums_.data(), rows, outputs, rows, signs_.alphas.data(), integer_codes_->step, bias,
                      top[0]->mutable_cpu_data(), 1, outputs);
  return true;
}

}  // namespace hwgq
