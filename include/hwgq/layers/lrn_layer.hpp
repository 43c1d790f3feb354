// LRN: local response normalization (AlexNet, GoogLeNet) on N x C x H x W blobs,
//   y = x * scale^-beta
// with n = local_size (odd) and the window centred on each element:
//   ACROSS_CHANNELS: scale = k + alpha / n * (sum of x^2 over n neighbouring channels at
//                    the same position; channels past either end count as zero)
//   WITHIN_CHANNEL:  scale = k + alpha / n^2 * (sum of x^2 over the n x n square around
//                    the position in the same channel, zero padded)
// These are Caffe's definitions, except that Caffe's CPU code adds 1 instead of k in
// WITHIN_CHANNEL mode (its cuDNN code uses k); with the default k = 1 both agree.
#pragma once

#include "hwgq/layer.hpp"

namespace hwgq {

class LRNLayer : public TypedLayer<LRNLayer> {
 public:
  static constexpr const char* kType = "LRN";

  explicit LRNLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  void forward_across(const float* x, float* y);
  void backward_across(const float* x, const float* y, const float* dy, float* dx) const;
  void forward_within(const float* x, float* y);
  void backward_within(const float* x, const float* y, const float* dy, float* dx) const;
  // scale^-beta, with a cheaper exact form for AlexNet's beta = 0.75.
  float inverse_power(float scale) const;

  int size_ = 5;
  int half_ = 2;  // (size_ - 1) / 2, the window's reach on each side
  float alpha_ = 1.f;
  float beta_ = 0.75f;
  float k_ = 1.f;
  bool across_ = true;
  int num_ = 0, channels_ = 0, height_ = 0, width_ = 0;
  // The denominator base `scale` per element, kept from forward for backward.
  Blob scale_;
};

}  // namespace hwgq
