// Convolution with binary weights (the HWGQ authors' BinaryConvolution;
// docs/hwgq-paper.md sections 1.1 and 2). Takes convolution_param plus binary_convolution_param
// { use_alpha, use_binarization }. On every forward the real weights W give
//   W_b[i,:] = alpha_i * sign(W[i,:]),  alpha_i = mean |W[i,:]| per output filter (use_alpha)
// or 1, and W_b is used for the output and for the bottom gradient. The weight gradient is
// the plain convolution's gradient, written to the real W's diff (identity straight-through:
// no |w| <= 1 mask, no alpha derivative), as in the authors' code. With use_binarization:
// false the layer is a plain Convolution.
//
// Integer forward (CPU): when the pass integer_binary_forward finds that the bottom is a
// uniform Quant's output, forward maps it to level codes and computes
// alpha_o * step * sum(sign(W) * code) (+ bias) with the exact int32 kernel
// (kernels/code_sign_gemm.hpp); backward stays float (docs/layers/binary_layers.md).
#pragma once

#include <memory>
#include <vector>

#include "hwgq/kernels/code_sign_gemm.hpp"
#include "hwgq/layers/convolution_layer.hpp"

namespace hwgq {

class BinaryConvolutionLayer : public TypedLayer<BinaryConvolutionLayer, ConvolutionLayer> {
 public:
  static constexpr const char* kType = "BinaryConvolution";

  explicit BinaryConvolutionLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;

  // The weights forward uses, recomputed from the current real weights: alpha * sign(W), or
  // a copy of W when use_binarization is false. Shaped like blobs()[0]. Deploy export
  // (`hwgq binarize`) writes these into a plain Convolution.
  const Blob& binarized_weights();
  // Per-output-filter alpha of the last binarization (all 1 without use_alpha).
  const std::vector<float>& alphas() const { return alphas_; }
  bool use_alpha() const { return use_alpha_; }
  bool use_binarization() const { return use_binarization_; }

  // Whether binary_convolution_param.integer_forward allows the integer forward.
  bool integer_forward_allowed() const;
  // From now on forward reads the bottom as values of `codes` (set by the pass
  // integer_binary_forward, which checked that a Quant with these levels writes it).
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
  std::vector<kernels::PackedSigns> group_signs_;
  // Per OpenMP thread: the image's codes, its packed im2col codes, the int32 outputs.
  struct ImageScratch {
    std::vector<uint8_t> codes;
    kernels::PackedCodes packed;
    std::vector<int32_t> sums;
  };
  std::vector<ImageScratch> scratch_;
  bool warned_fallback_ = false;
};

}  // namespace hwgq
