// Inner product with binary weights (the HWGQ authors' BinaryInnerProduct;
// docs/hwgq-paper.md sections 1.1 and 2). Takes inner_product_param (transpose must stay
// false: one alpha per output row of the N x K weights) plus binary_inner_product_param
// { use_alpha, use_binarization }. Forward and the bottom gradient use
// W_b[i,:] = alpha_i * sign(W[i,:]) with alpha_i = mean |W[i,:]| over the K inputs (or 1);
// the weight gradient goes unchanged to the real W (identity straight-through). With
// use_binarization: false the layer is a plain InnerProduct.
//
// Integer forward (CPU): as BinaryConvolution's, when the pass integer_binary_forward finds
// a uniform Quant's output as the bottom (docs/layers/binary_layers.md).
#pragma once

#include <memory>
#include <vector>

#include "hwgq/kernels/code_sign_gemm.hpp"
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

  // Whether binary_inner_product_param.integer_forward allows the integer forward.
  bool integer_forward_allowed() const;
  // From now on forward reads the bottom as values of `codes` (pass integer_binary_forward).
  void use_integer_forward(const kernels::LevelCodes& codes);
  bool integer_forward() const { return integer_codes_ != nullptr; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  const float* weights_for_forward() override;
  const float* weights_for_backward() override;
  // Binarizes on the GPU into binary_weights_ (device side); the per-filter alphas stay
  // on the device too (gpu_alphas_), so alphas() reports the last CPU binarization.
  const float* gpu_weights_for_forward() override;
  const float* gpu_weights_for_backward() override;

 private:
  void binarize();
  // The integer forward; false (top untouched) when some bottom value is not a code's level.
  bool forward_integer(const BlobVec& bottom, const BlobVec& top);

  bool use_alpha_ = false;
  bool use_binarization_ = true;
  Blob binary_weights_;
  std::vector<float> alphas_;
  Blob gpu_alphas_;

  std::unique_ptr<kernels::LevelCodes> integer_codes_;
  kernels::PackedSigns signs_;
  std::vector<uint8_t> codes_;
  kernels::PackedCodes packed_;
  std::vector<int32_t> sums_;
  bool warned_fallback_ = false;
};

}  // namespace hwgq
