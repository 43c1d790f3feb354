// Inner product with binary weights (the HWGQ authors' BinaryInnerProduct;
// docs/hwgq-paper.md sections 1.1 and 2). Takes inner_product_param (transpose must stay
// false: one alpha per output row of the N x K weights) plus binary_inner_product_param
// { use_alpha, use_binarization }. Forward and the bottom gradient use
// W_b[i,:] = alpha_i * sign(W[i,:]) with alpha_i = mean |W[i,:]| over the K inputs (or 1);
// the weight gradient goes unchanged to the real W (identity straight-through). With
// use_binarization: false the layer is a plain InnerProduct.
#pragma once

#include <vector>

#include "hwgq/layers/inner_product_layer.hpp"

namespace hwgq {

class BinaryInnerProductLayer : public TypedLayer<BinaryInnerProductLayer, InnerProductLayer> {
 public:
  static constexpr const char* kType = "BinaryInnerProduct";

  explicit BinaryInnerProductLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;

  // The weights forward uses, recomputed from the current real weights: alpha * sign(W), or
  // a copy of W when use_binarization is false. Shaped like blobs()[0] (N x K).
  const Blob& binarized_weights();
  // Per-output alpha of the last binarization (all 1 without use_alpha).
  const std::vector<float>& alphas() const { return alphas_; }
  bool use_alpha() const { return use_alpha_; }
  bool use_binarization() const { return use_binarization_; }

 protected:
  const float* weights_for_forward() override;
  const float* weights_for_backward() override;
  // Binarizes on the GPU into binary_weights_ (device side); the per-filter alphas stay
  // on the device too (gpu_alphas_), so alphas() reports the last CPU binarization.
  const float* gpu_weights_for_forward() override;
  const float* gpu_weights_for_backward() override;

 private:
  void binarize();

  bool use_alpha_ = false;
  bool use_binarization_ = true;
  Blob binary_weights_;
  std::vector<float> alphas_;
  Blob gpu_alphas_;
};

}  // namespace hwgq
