#include "hwgq/layers/binary_inner_product_layer.hpp"

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

}  // namespace hwgq
