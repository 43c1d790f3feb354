// Spatial max / average pooling (Caffe's Pooling, pooling_param) on N x C x H x W blobs,
// with Caffe's output size: pooled = ceil((H + 2 pad - kernel) / stride) + 1 (floor with
// round_mode: FLOOR), minus one when the last window would start at or past the end of the
// bottom (Caffe applies this only with padding; without it, the dropped window would be
// empty, which Caffe turns into -FLT_MAX and an invalid argmax). AVE divides by the window
// clipped to the padded extent, so padding counts as zeros; MAX records the position of
// each maximum for backward (in a second top, as the flat index h * W + w, when the
// prototxt names one).
#pragma once

#include <memory>
#include <vector>

#include "hwgq/layer.hpp"

namespace hwgq {

class PoolingLayer : public TypedLayer<PoolingLayer> {
 public:
  static constexpr const char* kType = "Pooling";

  explicit PoolingLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int exact_num_bottom_blobs() const override { return 1; }
  int min_top_blobs() const override { return 1; }
  // MAX may also output its argmax mask.
  int max_top_blobs() const override { return param_.pooling_param().pool() == PoolingParameter::MAX ? 2 : 1; }

  int pooled_height() const { return pooled_h_; }
  int pooled_width() const { return pooled_w_; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  // Max pooling: values only (inference), and values with their positions (into argmax
  // and/or the mask top; either may be null).
  void max_pool_values_cpu(const float* x, float* y) const;
  void track_max_positions_cpu(const float* x, float* y, int* argmax, float* mask) const;
  int pooled_size(int in, int kernel, int pad, int stride) const;

  bool is_max_ = true;
  bool global_ = false;
  bool ceil_mode_ = true;
  int kernel_h_ = 0, kernel_w_ = 0;
  int stride_h_ = 1, stride_w_ = 1;
  int pad_h_ = 0, pad_w_ = 0;
  int num_ = 0, channels_ = 0, height_ = 0, width_ = 0;
  int pooled_h_ = 0, pooled_w_ = 0;
  // Argmax (h * W + w within the plane) of every output, when no mask top is given.
  std::vector<int> argmax_;
  // Whether argmax_ holds the positions of the last CPU forward (a TEST-phase forward
  // computes values only, and backward finds the positions when it needs them).
  bool argmax_valid_ = false;
  // The same for a GPU pass (ints, on the device).
  std::unique_ptr<SyncedMemory> gpu_argmax_;
};

}  // namespace hwgq
