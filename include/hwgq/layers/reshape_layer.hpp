// Reshape: gives the bottom a new shape without moving values. reshape_param.shape
// replaces the bottom's axes [axis, axis + num_axes) (all of them by default; num_axes -1
// means "to the end", a negative axis counts from the end with -1 = after the last axis).
// In the shape, 0 copies the bottom's dimension at the same position and one -1 is
// inferred from the element count. The top views the bottom's data; backward hands the
// bottom the top's gradient buffer.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class ReshapeLayer : public TypedLayer<ReshapeLayer> {
 public:
  static constexpr const char* kType = "Reshape";

  explicit ReshapeLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override {}
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  // Both passes only share buffers, which works on either device.
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override {}
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {
    backward_cpu(top, propagate_down, bottom);
  }

 private:
  std::vector<int> spec_;  // reshape_param.shape as written
  int inferred_ = -1;      // index of the -1 in spec_, if any
};

}  // namespace hwgq
