// Dropout, inverted: in TRAIN each unit is kept with probability 1 - p and scaled by
// 1 / (1 - p), so the expected output equals the input and TEST is the identity.
// The mask comes from the run's generator (hwgq::rng_bernoulli), so a seed reproduces it.
#pragma once

#include <cstdint>
#include <vector>

#include "hwgq/layer.hpp"

namespace hwgq {

class DropoutLayer : public TypedLayer<DropoutLayer> {
 public:
  static constexpr const char* kType = "Dropout";

  explicit DropoutLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_in_place() const override { return true; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  float ratio_ = 0.5f;
  float scale_ = 2.f;
  std::vector<unsigned> mask_;
  // The GPU mask is a hash of (seed, element index), drawn from the run's generator at each
  // forward; backward recomputes it from the seed instead of storing it.
  uint64_t gpu_seed_ = 0;
};

}  // namespace hwgq
