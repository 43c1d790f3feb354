// Scale: y = x * s (+ b), with s (and b) broadcast along the axes of x they do not cover.
// s spans axes [axis, axis + num_axes) of x: with the defaults (axis 1, num_axes 1) one
// factor per channel, the affine part that BatchNorm leaves out.
//
// One bottom: s is learned (blobs[0], scale_param.filler, constant 1 by default).
// Two bottoms: s is bottom[1], whose shape gives the covered axes (num_axes is unused).
// bias_term adds a learned b of s's shape (the last blob, bias_filler, constant 0).
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class ScaleLayer : public TypedLayer<ScaleLayer> {
 public:
  static constexpr const char* kType = "Scale";

  explicit ScaleLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int min_bottom_blobs() const override { return 1; }
  int max_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_in_place() const override { return true; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  // The axis of bottom[0] where s starts; a scalar s (no axes) may sit anywhere.
  int scale_axis(const Blob& input, const Blob& scale) const;

  bool bias_term_ = false;
  int bias_index_ = -1;  // index of b in blobs_
  int axis_ = 1;
  int outer_ = 1;  // product of x's axes before s
  int dim_ = 1;    // number of entries of s
  int inner_ = 1;  // product of x's axes after s
  // Copy of x when running in place, for the gradient of s.
  Blob saved_input_;
};

}  // namespace hwgq
