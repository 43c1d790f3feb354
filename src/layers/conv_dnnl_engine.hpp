// One convolution shape (batch, geometry, groups) run through oneDNN: forward,
// backward-data and backward-weights primitives on NCHW float blobs. oneDNN picks the
// layouts it computes in (blocked, e.g. nChw16c / OIhw16i16o); the blobs are reordered into
// them and back at every call, the weights too, since they change every iteration (and
// BinaryConvolution hands over alpha * sign(W)). Built only with HWGQ_WITH_DNNL.
//
// With ConvBackwardPrecision::BFloat16 the backward primitives read bfloat16 copies of
// their inputs (the same reorders convert float to bfloat16, rounding to nearest even) and
// write float gradients. oneDNN 2.6.3 runs them (ONEDNN_VERBOSE=1 names the implementation)
// as jit:avx512_core_amx_bf16 on AMX tiles on Sapphire Rapids, and as
// jit_bf16:avx512_core_bf16 (vdpbf16ps) on CPUs with AVX512_BF16 but no AMX (Zen 4, Cooper
// Lake; or ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16), where a weight gradient with few input
// channels (LeNet's conv1) goes to its bf16 GEMM (x64:gemm:jit).
#pragma once

#include <memory>

#include "hwgq/layers/conv_engine.hpp"
#include "hwgq/math/im2col.hpp"

namespace hwgq {

class DnnlConvolution {
 public:
  // Throws hwgq::Error when oneDNN has no implementation for the shape (the backward
  // passes throw it at their first call, when their primitives are made).
  DnnlConvolution(const Conv2dGeometry& geom, int num, int num_output, int group, bool bias_term,
                  ConvBackwardPrecision backward_precision = ConvBackwardPrecision::Float32);
  ~DnnlConvolution();
  DnnlConvolution(const DnnlConvolution&) = delete;
  DnnlConvolution& operator=(const DnnlConvolution&) = delete;

  // Makes the backward primitives asked for now rather than at their first call; throws
  // hwgq::Error where oneDNN has no implementation for them.
  void make_backward(bool weights, bool data);

  // y = conv(x, w) + bias (bias may be null only without bias_term).
  void forward(const float* x, const float* w, const float* bias, float* y);
  // dx = the bottom gradient (overwritten).
  void backward_data(const float* dy, const float* w, float* dx);
  // dw += the weight gradient (accumulated, like every parameter diff).
  void backward_weights(const float* x, const float* dy, float* dw);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwgq
