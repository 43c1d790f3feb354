// cuDNN for the CUDA backend: the per-device handle, checks that raise hwgq::Error, and
// small owning wrappers for the descriptors the layers use (4-d NCHW float tensors,
// filters, 2-d convolutions). CUDA-only, like hwgq/util/cuda.hpp.
#pragma once

#ifndef HWGQ_WITH_CUDA
#error "hwgq/util/cudnn.hpp is part of the CUDA backend; build with HWGQ_USE_CUDA=ON"
#endif

#include <cudnn.h>

namespace hwgq::cudnn {

void check(cudnnStatus_t status, const char* call, const char* file, int line);

}  // namespace hwgq::cudnn

#define HWGQ_CUDNN_CHECK(call) ::hwgq::cudnn::check((call), #call, __FILE__, __LINE__)

namespace hwgq::cudnn {

// The current device's handle, bound to the legacy default stream like all hwgq compute.
cudnnHandle_t handle();

// Owns one descriptor; not copyable, so each layer keeps its own.
class TensorDesc {
 public:
  TensorDesc();
  ~TensorDesc();
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  // Densely packed N x C x H x W float.
  void set(int n, int c, int h, int w);
  // Float with explicit element strides (a view into a larger blob, e.g. one group).
  void set_strided(int n, int c, int h, int w, int stride_n, int stride_c, int stride_h, int stride_w);
  cudnnTensorDescriptor_t get() const { return desc_; }
  operator cudnnTensorDescriptor_t() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

class FilterDesc {
 public:
  FilterDesc();
  ~FilterDesc();
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  // Float filters, output x input-per-group x kernel_h x kernel_w (Caffe's weight layout).
  void set(int out, int in, int kernel_h, int kernel_w);
  operator cudnnFilterDescriptor_t() const { return desc_; }

 private:
  cudnnFilterDescriptor_t desc_ = nullptr;
};

class ConvolutionDesc {
 public:
  ConvolutionDesc();
  ~ConvolutionDesc();
  ConvolutionDesc(const ConvolutionDesc&) = delete;
  ConvolutionDesc& operator=(const ConvolutionDesc&) = delete;
  // Cross-correlation (what Caffe and every CNN framework call convolution) in float, with
  // `group` filter groups; TF32 tensor cores only when hwgq::set_gpu_tf32(true) was called.
  void set(int pad_h, int pad_w, int stride_h, int stride_w, int dilation_h, int dilation_w, int group);
  // The math type an algorithm was found with (cuDNN wants the pair to match).
  void set_math_type(cudnnMathType_t math);
  operator cudnnConvolutionDescriptor_t() const { return desc_; }

 private:
  cudnnConvolutionDescriptor_t desc_ = nullptr;
};

// A readable name for messages ("CUDNN_STATUS_BAD_PARAM: ...").
const char* status_string(cudnnStatus_t status);

}  // namespace hwgq::cudnn
