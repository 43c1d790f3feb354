// Quant: the activation quantizer of the HWGQ paper (docs/hwgq-paper.md 1.2-1.4), with the
// semantics of the authors' Caffe fork so that their prototxt files train the same way.
// Exact definitions, including every boundary, are in docs/layers/quant.md.
//
//   forward_func  hwgq (default) | sign | hard_tanh | relu
//   backward_func relu (default; clipped ReLU when clip_thr > 0) | hard_tanh | log_tailed
#pragma once

#include <vector>

#include "hwgq/kernels/binary_conv.hpp"
#include "hwgq/layer.hpp"

namespace hwgq {

class BatchNormLayer;

class QuantLayer : public TypedLayer<QuantLayer> {
 public:
  enum class Forward { kHwgq, kSign, kHardTanh, kRelu };
  enum class Backward { kRelu, kHardTanh, kLogTailed };

  static constexpr const char* kType = "Quant";

  explicit QuantLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_in_place() const override { return true; }

  Forward forward_func() const { return forward_; }
  Backward backward_func() const { return backward_; }
  // The positive levels q_1 < ... < q_K and the thresholds the hwgq forward compares
  // against: thresholds()[j] = (q_j + q_{j+1}) / 2 for j < K-1 (0-based), computed in
  // float like the fork; the last cell is open to +inf and has no entry.
  const std::vector<float>& centers() const { return centers_; }
  const std::vector<float>& thresholds() const { return thresholds_; }

  // Inference fusion, set by Net in the TEST phase (docs/layers/quant.md, "Fused with
  // BatchNorm"): forward reads `bn_bottom`, the input of BatchNorm `bn` (global statistics,
  // folded away), instead of its own bottom, and quantizes bn's output for it in one pass,
  // with bn's statistics as they are at that forward. There is no backward then.
  void fuse_batch_norm(BatchNormLayer* bn, Blob* bn_bottom);
  bool fused() const { return fused_bn_ != nullptr; }
  // The blob a fused forward reads (BatchNorm's input), null when not fused.
  const Blob* fused_input() const { return fused_input_; }

  // Training fusion, set by the graph pass fuse_batch_norm_quant_training
  // (docs/layers/quant.md, "Fused with BatchNorm"): `bn` (batch statistics) reads
  // `bn_bottom` and this layer reads bn's output. The CPU forward then normalises
  // bn_bottom with bn's batch statistics, keeps the normalised values for backward and
  // writes the quantized top in one pass; the CPU backward computes the gradient on
  // bn_bottom through bn (BatchNormLayer::batch_backward_cpu), producing this layer's
  // masked gradient row by row instead of in a blob. The GPU passes run unfused. A null
  // bn undoes it.
  void fuse_batch_norm_for_training(BatchNormLayer* bn, Blob* bn_bottom);
  bool fused_for_training() const { return training_bn_ != nullptr; }

  // For a packed binary layer that computes this layer's output itself (graph pass
  // fuse_packed_quant: packed layer -> folded BatchNorm -> this Quant): the cuts on
  // BatchNorm's input and the output of each code, for the statistics as they are now.
  // False when this layer is not fused with a BatchNorm, not hwgq, or its cuts cannot be
  // used (non-monotone statistics); the producer then writes its own output as usual.
  bool producer_codes(kernels::OutputCodes* codes);
  // Called by that producer once it has written this layer's output for the current
  // forward; the next forward of this layer then has nothing to do.
  void mark_output_written() { output_written_ = true; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  void check_centers() const;
  void warn_if_thresholds_ignored() const;
  void forward_fused_cpu(const BlobVec& top);
  void forward_training_fused_cpu(const BlobVec& top);
  void backward_training_fused_cpu(const BlobVec& top);
  // The backward surrogate on m contiguous values: dx = dy * g(x).
  void backward_block(const float* x, const float* dy, float* dx, int m) const;
  // The forward function on m contiguous values (a block of the fused forward).
  void forward_block(const float* x, float* y, int m) const;
  // Whether the fused forward compares x with per-channel cuts (hwgq up to 16 centers,
  // sign) rather than normalising every element.
  bool fused_uses_cuts() const;
  // Rows of cuts per channel: the zero cut, then one per threshold (hwgq); one (sign).
  int fused_cut_rows() const;
  // Remakes fused_cuts_ when the statistics differ from those it was made for; returns
  // whether cuts are usable (every channel's statistics monotone).
  bool update_fused_cuts(const float* mean, const float* inv_std, int channels);

  Forward forward_ = Forward::kHwgq;
  Backward backward_ = Backward::kRelu;
  std::vector<float> centers_;
  std::vector<float> thresholds_;
  float negative_slope_ = 0.f;
  // Upper clip of the relu / hard_tanh surrogates (FLT_MAX when clip_thr <= 0, as in the
  // fork) and q_m of the log-tailed surrogate.
  float clip_ = 0.f;
  float log_tail_start_ = 0.f;
  // Backward needs the input x; when the layer runs in place the forward overwrites it,
  // so a copy is kept (only then).
  Blob input_copy_;

  BatchNormLayer* fused_bn_ = nullptr;
  // Training fusion: the BatchNorm and its input; input_copy_ then holds the normalised
  // values (this layer's unfused input) for backward.
  BatchNormLayer* training_bn_ = nullptr;
  Blob* training_input_ = nullptr;
  bool output_written_ = false;
  std::vector<float> code_values_;  // low, q_1 .. q_K (producer_codes)
  Blob* fused_input_ = nullptr;
  // CPU: the statistics the cuts were made for, and cuts[row * C + c], remade only when
  // the statistics change; empty cuts when a channel's statistics are not monotone.
  std::vector<float> fused_mean_;
  std::vector<float> fused_inv_std_;
  std::vector<float> fused_cuts_;
  void forward_fused_gpu(const BlobVec& top);
  Blob fused_cuts_gpu_;
  // thresholds_ then centers_ on the device, uploaded when they change.
  const float* gpu_table();
  Blob gpu_table_;
  std::vector<float> gpu_table_source_;
};

}  // namespace hwgq
