// Fully connected layer (Caffe's InnerProduct, inner_product_param). The bottom is seen as
// M x K with M = product of the axes before `axis` and K = product of the rest; the top is
// the leading axes followed by num_output. Weights are num_output x K, or K x num_output
// with transpose: true; bias is num_output.
#pragma once

#include <vector>

#include "hwgq/layer.hpp"

namespace hwgq {

class InnerProductLayer : public TypedLayer<InnerProductLayer> {
 public:
  static constexpr const char* kType = "InnerProduct";

  explicit InnerProductLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

  int num_output() const { return num_output_; }
  // Inputs per output (K).
  int input_size() const { return k_; }
  bool transposed() const { return transpose_; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

  // The weights the forward pass and the bottom gradient use, laid out like blobs_[0].
  // BinaryInnerProduct substitutes alpha * sign(W) here; the weight gradient always goes to
  // blobs_[0]'s diff. weights_for_backward returns what the last forward used.
  virtual const float* weights_for_forward() { return blobs_[0]->cpu_data(); }
  virtual const float* weights_for_backward() { return blobs_[0]->cpu_data(); }
  // The same on the GPU (device pointers).
  virtual const float* gpu_weights_for_forward() { return blobs_[0]->gpu_data(); }
  virtual const float* gpu_weights_for_backward() { return blobs_[0]->gpu_data(); }

 private:
  int num_output_ = 0;
  bool bias_term_ = true;
  bool transpose_ = false;
  int axis_ = 1;
  int m_ = 0;
  int k_ = 0;
};

}  // namespace hwgq
