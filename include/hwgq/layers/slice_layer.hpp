// Slice: cuts the bottom along one axis (slice_param.axis, or the legacy slice_dim) into
// consecutive pieces, one per top. slice_point lists the cut positions (one fewer than
// the tops); without it the axis is split evenly. The inverse of Concat.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class SliceLayer : public TypedLayer<SliceLayer> {
 public:
  static constexpr const char* kType = "Slice";

  explicit SliceLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int min_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  int requested_axis_ = 1;  // as written; may be negative
  int axis_ = 1;            // canonical for the current bottom
  int outer_ = 1;           // product of the axes before axis_
  int inner_ = 1;           // product of the axes after axis_
  std::vector<int> points_;
};

}  // namespace hwgq
