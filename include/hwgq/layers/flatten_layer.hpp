// Flatten: merges axes [axis, end_axis] of the bottom into one, e.g. N x C x H x W ->
// N x (C * H * W) with the defaults. No values move: the top views the bottom's data, and
// backward hands the bottom the top's gradient buffer.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class FlattenLayer : public TypedLayer<FlattenLayer> {
 public:
  static constexpr const char* kType = "Flatten";

  explicit FlattenLayer(const LayerParameter& param) : TypedLayer(param) {}

  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  // Both passes only share buffers, which works on either device.
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override { forward_cpu(bottom, top); }
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {
    backward_cpu(top, propagate_down, bottom);
  }
};

}  // namespace hwgq
