// Deploy-time BinaryInnerProduct on packed bits (paper 1.1 and 1.2): the bottom, flattened
// from inner_product_param.axis (default 1) into M x K as InnerProduct does, must be a
// Quant layer's output; it is packed to bit planes on every forward and multiplied with the
// packed 1-bit weights by the binary convolution kernel (a 1 x 1 convolution of M images of
// K channels and 1 x 1 pixels). The output equals BinaryInnerProduct's up to float rounding.
// CPU only; no backward.
//
// prototxt: inner_product_param (num_output, bias_term, axis; transpose must stay false),
// quant_param { centers: q_1 ... centers: q_K } = the levels of the input (required), and
// binary_inner_product_param.use_alpha, only informative. blobs() holds only the float
// bias; the packed weights come through set_packed_weights, and forward raises
// hwgq::Error until they do.
#pragma once

#include <vector>

#include "hwgq/kernels/binary_conv.hpp"
#include "hwgq/layer.hpp"
#include "hwgq/layers/packed_output_quant.hpp"

namespace hwgq {

class PackedBinaryInnerProductLayer : public TypedLayer<PackedBinaryInnerProductLayer> {
 public:
  static constexpr const char* kType = "PackedBinaryInnerProduct";

  explicit PackedBinaryInnerProductLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

  // Checked against the parameters: num_output x K, a 1 x 1 kernel, one group (K only once
  // the layer is set up); hwgq::Error when they disagree.
  void set_packed_weights(kernels::PackedBinaryWeights weights);
  const kernels::PackedBinaryWeights& packed_weights() const { return weights_; }
  bool has_packed_weights() const { return has_weights_; }
  // Packs a BinaryInnerProduct's real weights (num_output x K) as its forward would
  // binarize them; groups must be 1 (inner products have none).
  static kernels::PackedBinaryWeights pack_from(const Blob& real_weights, int groups, bool use_alpha);

  const kernels::ActivationLevels& input_levels() const { return levels_; }
  int num_output() const { return num_output_; }
  // Inputs per output (K).
  int input_size() const { return k_; }
  bool use_alpha() const { return use_alpha_; }

  // Graph pass fuse_packed_quant: compute the Quant's output (see packed_output_quant.hpp).
  void set_output_quant(QuantLayer* quant, Blob* output) { output_quant_.set(quant, output); }
  bool has_output_quant() const { return output_quant_.active(); }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  PackedOutputQuant output_quant_;
  void check_weights(const kernels::PackedBinaryWeights& weights) const;

  int num_output_ = 0;
  bool bias_term_ = true;
  bool use_alpha_ = false;
  int axis_ = 1;
  int m_ = 0;
  int k_ = 0;  // 0 until setup
  kernels::ActivationLevels levels_;
  kernels::PackedBinaryWeights weights_;
  bool has_weights_ = false;
  kernels::PackedActivations packed_input_;
};

}  // namespace hwgq
