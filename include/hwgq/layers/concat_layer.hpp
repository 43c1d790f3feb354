// Concat: joins its bottoms along one axis (concat_param.axis, or the legacy concat_dim),
// e.g. the branches of a GoogLeNet inception module along channels. Every other axis must
// agree. Backward hands each bottom its slab of the top's gradient.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class ConcatLayer : public TypedLayer<ConcatLayer> {
 public:
  static constexpr const char* kType = "Concat";

  explicit ConcatLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int min_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  int requested_axis_ = 1;  // as written; may be negative
  int axis_ = 1;            // canonical for the current bottoms
  int outer_ = 1;           // product of the axes before axis_
  int inner_ = 1;           // product of the axes after axis_
  int top_axis_dim_ = 0;    // sum of the bottoms' sizes along axis_
};

}  // namespace hwgq
