// TanH: y = tanh(x). Backward uses only y (dy * (1 - y^2)), so the layer may run in place.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class TanHLayer : public TypedLayer<TanHLayer> {
 public:
  static constexpr const char* kType = "TanH";

  explicit TanHLayer(const LayerParameter& param) : TypedLayer(param) {}

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
};

}  // namespace hwgq
