// Split: hands one blob to several consumers. The tops view the bottom's data; each
// consumer writes its own top gradient, and backward sums them into the bottom's.
// The Net inserts Split layers itself wherever a blob feeds more than one layer.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class SplitLayer : public TypedLayer<SplitLayer> {
 public:
  static constexpr const char* kType = "Split";

  explicit SplitLayer(const LayerParameter& param) : TypedLayer(param) {}

  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int min_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override {}
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  // The tops already view the bottom's data.
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override {}
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
};

}  // namespace hwgq
