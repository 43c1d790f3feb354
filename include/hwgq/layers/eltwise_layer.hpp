// Eltwise: combines bottoms of one shape element by element (a ResNet shortcut sum).
//   SUM:  y = sum_i c_i x_i, with eltwise_param.coeff c_i (one per bottom; all 1 if none)
//   PROD: y = prod_i x_i
//   MAX:  y = max_i x_i; the gradient goes to the bottom that held the maximum (the
//         first such bottom on ties), remembered from forward.
// PROD's gradient for x_i is dy * prod_{j != i} x_j. With stable_prod_grad (the default)
// that product is formed directly; without it, as y / x_i, cheaper but infinite or NaN
// where x_i = 0 (Caffe's two options).
#pragma once

#include <memory>
#include <vector>

#include "hwgq/layer.hpp"

namespace hwgq {

class EltwiseLayer : public TypedLayer<EltwiseLayer> {
 public:
  static constexpr const char* kType = "Eltwise";

  explicit EltwiseLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int min_bottom_blobs() const override { return 2; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  EltwiseParameter::EltwiseOp op_ = EltwiseParameter::SUM;
  std::vector<float> coeff_;
  bool stable_prod_grad_ = true;
  // MAX: for each element, the index of the bottom that supplied it.
  std::vector<int> max_index_;
  // The same for a GPU pass (ints, on the device).
  std::unique_ptr<SyncedMemory> gpu_max_index_;
};

}  // namespace hwgq
