// BinaryInnerProduct on the GPU: InnerProductLayer's cuBLAS passes with the weights
// binarized on the device each forward (cuda/quant/binarize.cu).
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/quant/gpu_binarize.hpp"

namespace hwgq {

const float* BinaryInnerProductLayer::gpu_weights_for_forward() {
  if (!use_binarization_) return blobs_[0]->gpu_data();
  const Blob& w = *blobs_[0];
  binary_weights_.reshape_like(w);
  gpu_alphas_.reshape({num_output()});
  // One alpha per output over its K inputs (docs/hwgq-paper.md 1.1).
  gpu_binarize_rows(w.gpu_data(), num_output(), input_size(), use_alpha_, binary_weights_.mutable_gpu_data(),
                    gpu_alphas_.mutable_gpu_data());
  return binary_weights_.gpu_data();
}

const float* BinaryInnerProductLayer::gpu_weights_for_backward() {
  return use_binarization_ ? binary_weights_.gpu_data() : blobs_[0]->gpu_data();
}

}  // namespace hwgq
