// Quant: the activation quantizer of the HWGQ paper (docs/hwgq-paper.md 1.2-1.4), with the
// semantics of the authors' Caffe fork so that their prototxt files train the same way.
// Exact definitions, including every boundary, are in docs/layers/quant.md.
//
//   forward_func  hwgq (default) | sign | hard_tanh | relu
//   backward_func relu (default; clipped ReLU when clip_thr > 0) | hard_tanh | log_tailed
#pragma once

#include <vector>

#include "hwgq/layer.hpp"

namespace hwgq {

class QuantLayer : public Layer {
 public:
  enum class Forward { kHwgq, kSign, kHardTanh, kRelu };
  enum class Backward { kRelu, kHardTanh, kLogTailed };

  explicit QuantLayer(const LayerParameter& param) : Layer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  const char* type() const override { return "Quant"; }
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

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
#ifdef HWGQ_WITH_CUDA
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
#endif

 private:
  void check_centers() const;
  void warn_if_thresholds_ignored() const;

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
#ifdef HWGQ_WITH_CUDA
  // thresholds_ then centers_ on the device, uploaded when they change.
  const float* gpu_table();
  Blob gpu_table_;
  std::vector<float> gpu_table_source_;
#endif
};

}  // namespace hwgq
