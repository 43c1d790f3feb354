#include "hwgq/layers/binary_convolution_layer.hpp"

#include "hwgq/math/blas.hpp"
#include "hwgq/quant/binarize.hpp"

namespace hwgq {

void BinaryConvolutionLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const BinaryConvolutionParameter& p = param_.binary_convolution_param();
  use_alpha_ = p.use_alpha();
  use_binarization_ = p.use_binarization();
  ConvolutionLayer::layer_setup(bottom, top);
  binary_weights_.reshape_like(*blobs_[0]);
  alphas_.assign(num_output(), 1.f);
}

void BinaryConvolutionLayer::binarize() {
  const Blob& w = *blobs_[0];
  binary_weights_.reshape_like(w);
  alphas_.resize(num_output());
  if (use_binarization_) {
    // One alpha per output filter over its (C / group) x kh x kw weights (docs/hwgq-paper.md 1.1).
    binarize_rows(w.cpu_data(), num_output(), w.count(1), use_alpha_, binary_weights_.mutable_cpu_data(),
                  alphas_.data());
  } else {
    copy(w.count(), w.cpu_data(), binary_weights_.mutable_cpu_data());
    alphas_.assign(num_output(), 1.f);
  }
}

const Blob& BinaryConvolutionLayer::binarized_weights() {
  binarize();
  return binary_weights_;
}

const float* BinaryConvolutionLayer::weights_for_forward() {
  if (!use_binarization_) return blobs_[0]->cpu_data();
  binarize();
  return binary_weights_.cpu_data();
}

const float* BinaryConvolutionLayer::weights_for_backward() {
  return use_binarization_ ? binary_weights_.cpu_data() : blobs_[0]->cpu_data();
}

}  // namespace hwgq
