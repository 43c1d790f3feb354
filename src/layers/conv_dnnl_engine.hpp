// One convolution shape (batch, geometry, groups) run through oneDNN: forward,
// backward-data and backward-weights primitives on NCHW float blobs. oneDNN picks the
// layouts it computes in (blocked, e.g. nChw16c / OIhw16i16o); the blobs are reordered into
// them and back at every call, the weights too, since they change every iteration (and
// BinaryConvolution hands over alpha * sign(W)). Built only with HWGQ_WITH_DNNL.
#pragma once

#include <memory>

#include "hwgq/math/im2col.hpp"

namespace hwgq {

class DnnlConvolution {
 public:
  // Throws hwgq::Error when oneDNN has no implementation for the shape.
  DnnlConvolution(const Conv2dGeometry& geom, int num, int num_output, int group, bool bias_term);
  ~DnnlConvolution();
  DnnlConvolution(const DnnlConvolution&) = delete;
  DnnlConvolution& operator=(const DnnlConvolution&) = delete;

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
