// 2-d convolution (Caffe's Convolution, convolution_param) on N x C x H x W blobs. On the
// CPU each pass runs lowered to GEMM with im2col or through oneDNN, whichever measured
// faster for the layer and shape (hwgq/layers/conv_engine.hpp); on the GPU through cuDNN.
// The CPU backward passes may run in bfloat16 instead (set_backward_precision). Weights are
// num_output x (C / group) x kernel_h x kernel_w, bias is num_output. Output size per axis: (H + 2 pad - (dilation (kernel - 1) + 1)) / stride + 1.
#pragma once

#include <memory>
#include <vector>

#include "hwgq/layer.hpp"
#include "hwgq/layers/conv_engine.hpp"
#include "hwgq/math/im2col.hpp"

namespace hwgq {

class DnnlConvolution;

class ConvolutionLayer : public TypedLayer<ConvolutionLayer> {
 public:
  static constexpr const char* kType = "Convolution";

  explicit ConvolutionLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }

  int num_output() const { return num_output_; }
  int group() const { return group_; }
  // The geometry of the current bottom (valid after setup).
  const Conv2dGeometry& geometry() const { return geom_; }

  // What the CPU backward passes read (conv_engine.hpp); Float32 unless set. BFloat16 runs
  // both on oneDNN, not timed against im2col, and throws hwgq::Error where
  // conv_bf16_backward_available() is false. If oneDNN has no bfloat16 implementation for
  // a shape, the layer warns and goes back to Float32. The GPU backward stays float.
  // Solvers set it through the pass "bf16_conv_backward" (SolverParameter's
  // backward_precision).
  void set_backward_precision(ConvBackwardPrecision precision);
  ConvBackwardPrecision backward_precision() const { return backward_precision_; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

  // The weights the forward pass and the bottom gradient use, laid out like blobs_[0].
  // BinaryConvolution substitutes alpha * sign(W) here; the weight gradient always goes to
  // blobs_[0]'s diff. weights_for_backward returns what the last forward used.
  virtual const float* weights_for_forward() { return blobs_[0]->cpu_data(); }
  virtual const float* weights_for_backward() { return blobs_[0]->cpu_data(); }
  // The same on the GPU (device pointers).
  virtual const float* gpu_weights_for_forward() { return blobs_[0]->gpu_data(); }
  virtual const float* gpu_weights_for_backward() { return blobs_[0]->gpu_data(); }

  // Weights per filter: (C / group) * kernel_h * kernel_w.
  int filter_size() const { return channels_ / group_ * geom_.kernel_h * geom_.kernel_w; }
  // Floats in one image's im2col matrix (none for pointwise kernels, which use the image).
  size_t column_size() const {
    return pointwise_ ? 0 : static_cast<size_t>(channels_) * geom_.kernel_h * geom_.kernel_w * out_spatial_;
  }

 private:
  // The im2col + GEMM engine over the whole batch. Either of dw and dx may be null.
  void forward_im2col(const float* x, const float* w, const float* bias, float* y);
  void backward_im2col(const float* x, const float* dy, const float* w, float* dw, float* dx);
  void forward_image(const float* x, const float* w, const float* bias, float* y, float* col) const;
  void backward_image(const float* x, const float* dy, const float* w, float* dw, float* dx, float* col) const;
  // Whether to spread images over OpenMP threads (each with a single-threaded GEMM) rather
  // than run one image at a time with a threaded GEMM.
  bool parallel_over_images(int threads) const;

  int num_output_ = 0;
  int group_ = 1;
  bool bias_term_ = true;
  int channels_ = 0;
  // 1x1 kernel, stride 1, no padding: the image already is its column matrix.
  bool pointwise_ = false;
  Conv2dGeometry geom_{};
  int num_ = 0;
  int out_spatial_ = 0;
  ConvBackwardPrecision backward_precision_ = ConvBackwardPrecision::Float32;
  // The CPU engine choices and oneDNN primitives per input shape (convolution_layer.cpp).
  struct CpuEngines;
  std::shared_ptr<CpuEngines> cpu_engines_;
  CpuEngines& cpu_engines();
  // The oneDNN primitives for the current shape whose backward passes read `precision`,
  // made on first use (builds with oneDNN).
  DnnlConvolution& dnnl_convolution(ConvBackwardPrecision precision = ConvBackwardPrecision::Float32);
  // Runs the wanted backward passes (a null dw or dx: not wanted) in bfloat16 on oneDNN;
  // false, after a warning and with the layer back on Float32, where oneDNN cannot.
  bool backward_bf16(const float* x, const float* dy, const float* w, float* dw, float* dx);
  // cuDNN descriptors and the algorithms chosen per input shape
  // (cuda/layers/convolution_layer.cpp).
  struct GpuState;
  std::shared_ptr<GpuState> gpu_;
  // Sets the descriptors for the current shape and picks (or recalls) the algorithms.
  void prepare_gpu(const Blob& bottom);
};

}  // namespace hwgq
