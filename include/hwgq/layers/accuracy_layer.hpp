// Accuracy: the fraction of positions whose label is among the top_k scores. A label
// counts as found when fewer than k scores are strictly greater than its own, so ties
// favour the label. Positions labelled ignore_label are left out of the count.
//
// Bottoms: scores (classes along accuracy_param.axis) and labels (one per position).
// Tops: the accuracy, and optionally the accuracy of each class (0 for a class absent
// from the batch). Has no gradient.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class AccuracyLayer : public TypedLayer<AccuracyLayer> {
 public:
  static constexpr const char* kType = "Accuracy";

  explicit AccuracyLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 2; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }
  bool allow_force_backward(int bottom_index) const override { return false; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  // A metric, not an objective: nothing flows back.
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {}

 private:
  int top_k_ = 1;
  bool has_ignore_label_ = false;
  int ignore_label_ = -1;
  int axis_ = 1;
  int outer_ = 1;
  int classes_ = 1;
  int inner_ = 1;
};

}  // namespace hwgq
