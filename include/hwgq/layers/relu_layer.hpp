// ReLU: y = max(x, 0) + negative_slope * min(x, 0) (a leaky ReLU when the slope is set).
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class ReLULayer : public TypedLayer<ReLULayer> {
 public:
  static constexpr const char* kType = "ReLU";

  explicit ReLULayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_in_place() const override { return true; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
#ifdef HWGQ_WITH_CUDA
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
#endif

 private:
  float negative_slope_ = 0.f;
};

}  // namespace hwgq
