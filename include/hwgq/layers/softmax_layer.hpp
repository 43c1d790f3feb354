// Softmax along softmax_param.axis (default 1, the class axis of N x C [x H x W] scores):
// y_c = exp(x_c - max x) / sum_k exp(x_k - max x). Subtracting the maximum keeps every
// exponent <= 0, so large scores cannot overflow.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class SoftmaxLayer : public TypedLayer<SoftmaxLayer> {
 public:
  static constexpr const char* kType = "Softmax";

  explicit SoftmaxLayer(const LayerParameter& param) : TypedLayer(param) {}

  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

  // Layout of the last reshape: outer x classes x inner.
  int axis() const { return axis_; }
  int outer() const { return outer_; }
  int classes() const { return classes_; }
  int inner() const { return inner_; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  int axis_ = 1;
  int outer_ = 1;
  int classes_ = 1;
  int inner_ = 1;
  // Per (outer, inner) position: the running maximum, then the normaliser.
  Blob scratch_;
};

}  // namespace hwgq
