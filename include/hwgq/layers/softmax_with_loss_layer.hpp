// SoftmaxWithLoss: the mean negative log-likelihood of the labels under a softmax of the
// scores, loss = -sum_i log p_i[label_i] / normaliser, fused with the softmax so the
// gradient is the stable p - onehot(label).
//
// Bottoms: scores (outer x classes x inner along softmax_param.axis) and labels (one per
// outer x inner position, stored as floats). Tops: the loss, and optionally the
// probabilities. Positions whose label is loss_param.ignore_label add nothing.
#pragma once

#include <memory>

#include "hwgq/layer.hpp"
#include "hwgq/layers/softmax_layer.hpp"

namespace hwgq {

class SoftmaxWithLossLayer : public TypedLayer<SoftmaxWithLossLayer> {
 public:
  static constexpr const char* kType = "SoftmaxWithLoss";

  explicit SoftmaxWithLossLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 2; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }
  bool is_loss() const override { return true; }
  bool allow_force_backward(int bottom_index) const override { return bottom_index != 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  // The divisor of the summed loss for the configured normalization mode.
  float normalizer(int valid_count) const;
  // The label at a position, checked against the number of classes; -1 when ignored.
  int label_at(const float* labels, int index) const;

  std::unique_ptr<SoftmaxLayer> softmax_;
  Blob prob_;
  bool has_ignore_label_ = false;
  int ignore_label_ = -1;
  LossParameter::NormalizationMode normalization_ = LossParameter::VALID;
  int outer_ = 1;
  int classes_ = 1;
  int inner_ = 1;
  // Labels not ignored in the last GPU forward, reused by backward (the labels are the same).
  int gpu_valid_count_ = 0;
};

}  // namespace hwgq
