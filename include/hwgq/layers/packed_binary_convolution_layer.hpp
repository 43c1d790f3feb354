// Deploy-time BinaryConvolution on packed bits (paper 1.1 and 1.2): 1-bit weights
// alpha_o * sign(W[o,:]) and an input that is a Quant layer's output, packed to bit planes
// on every forward and convolved with popcounts (kernels/binary_conv.hpp). The output
// equals BinaryConvolution's up to float rounding. CPU only; no backward.
//
// prototxt: convolution_param as for BinaryConvolution (num_output, kernel, stride, pad,
// dilation, group, bias_term; axis 1 only), quant_param { centers: q_1 ... centers: q_K }
// = the levels of the input (required: each input value must be 0 or one of them, else
// forward raises hwgq::Error), and binary_convolution_param.use_alpha, which is only
// informative: alpha comes with the packed weights.
//
// blobs() holds only the float bias (when bias_term). The layer can be set up from the
// prototxt alone; the packed weights come later through set_packed_weights, and forward
// raises hwgq::Error until they do.
#pragma once

#include <vector>

#include "hwgq/kernels/binary_conv.hpp"
#include "hwgq/layer.hpp"
#include "hwgq/layers/packed_output_quant.hpp"
#include "hwgq/math/im2col.hpp"

namespace hwgq {

class PackedBinaryConvolutionLayer : public TypedLayer<PackedBinaryConvolutionLayer> {
 public:
  static constexpr const char* kType = "PackedBinaryConvolution";

  explicit PackedBinaryConvolutionLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

  // Checked against the parameters (num_output, input channels / group, kernel, group);
  // hwgq::Error when they disagree. Before setup only the parameters known without the
  // bottom are checked; setup checks the rest.
  void set_packed_weights(kernels::PackedBinaryWeights weights);
  const kernels::PackedBinaryWeights& packed_weights() const { return weights_; }
  bool has_packed_weights() const { return has_weights_; }
  // Packs a BinaryConvolution's real weights (num_output x C / group x kh x kw) as its
  // forward would binarize them.
  static kernels::PackedBinaryWeights pack_from(const Blob& real_weights, int groups, bool use_alpha);

  const kernels::ActivationLevels& input_levels() const { return levels_; }
  int num_output() const { return num_output_; }
  int group() const { return group_; }
  bool use_alpha() const { return use_alpha_; }
  const Conv2dGeometry& geometry() const { return geom_; }

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
  int group_ = 1;
  bool bias_term_ = true;
  bool use_alpha_ = false;
  int channels_ = 0;  // 0 until setup
  Conv2dGeometry geom_{};
  kernels::ConvGeometry packed_geom_{};
  kernels::ActivationLevels levels_;
  kernels::PackedBinaryWeights weights_;
  bool has_weights_ = false;
  // The packed input of the last forward, kept to reuse its buffers.
  kernels::PackedActivations packed_input_;
};

}  // namespace hwgq
