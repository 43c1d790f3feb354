// Input: declares blobs whose values are filled from outside the net (a deploy net's data,
// a test's inputs). Its tops are shaped once, from input_param.shape, and never written.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class InputLayer : public TypedLayer<InputLayer> {
 public:
  static constexpr const char* kType = "Input";

  explicit InputLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  // The tops keep the shape set in layer_setup (or whatever the caller gave them since).
  void reshape(const BlobVec& bottom, const BlobVec& top) override {}

  int exact_num_bottom_blobs() const override { return 0; }
  int min_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override {}
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {}
  // Nothing to compute on either device (and no "running on the CPU" notice).
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override {}
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {}
};

}  // namespace hwgq
