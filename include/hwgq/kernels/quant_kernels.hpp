// The Quant layer's elementwise loops (paper 1.2-1.4; exact semantics in
// docs/layers/quant.md), compiled once per instruction set and chosen at run time like the
// packed convolution (cpu_features.hpp). They only compare, select, and multiply without a
// following add, so every instruction set gives the same bits as the scalar one.
#pragma once

#include "hwgq/kernels/cpu_features.hpp"

namespace hwgq::kernels {

struct QuantKernels {
  // Centre counts with a compile-time kernel (up to 4 bits); more take a general loop.
  static constexpr int kMaxFixedCenters = 16;

  // Forward on [begin, end), y may equal x. hwgq: n centers ctr and n - 1 ascending
  // thresholds thr; x > thr[j] selects ctr[j + 1], x <= 0 gives `low`, NaN passes through.
  void (*hwgq)(const float* x, float* y, int begin, int end, const float* thr, const float* ctr, int n, float low);
  void (*sign)(const float* x, float* y, int begin, int end);
  void (*hard_tanh)(const float* x, float* y, int begin, int end);
  void (*relu)(const float* x, float* y, int begin, int end, float slope);
  // Backward surrogates on [begin, end): dx = dy * g(x).
  void (*relu_backward)(const float* x, const float* dy, float* dx, int begin, int end, float slope, float clip);
  void (*hard_tanh_backward)(const float* x, const float* dy, float* dx, int begin, int end, float clip);
  void (*log_tailed_backward)(const float* x, const float* dy, float* dx, int begin, int end, float qm);
  // Fused with BatchNorm: comparisons of BatchNorm's input x with per-channel cuts
  // (cut[r * stride] is row r's cut: row 0 the zero cut, row j threshold j). _row: m
  // elements of one channel; _channels: m consecutive channels, element i using
  // cut[r * stride + i]. hwgq takes n <= kMaxFixedCenters centers.
  void (*fused_hwgq_row)(const float* x, float* y, int m, const float* cut, int stride, const float* ctr, int n,
                         float low);
  void (*fused_hwgq_channels)(const float* x, float* y, int m, const float* cut, int stride, const float* ctr, int n,
                              float low);
  void (*fused_sign_row)(const float* x, float* y, int m, float cut);
  void (*fused_sign_channels)(const float* x, float* y, int m, const float* cut);
};

// The kernels of the active instruction set.
const QuantKernels& quant_kernels();
// The kernels of one instruction set; hwgq::Error when this CPU cannot run it.
const QuantKernels& quant_kernels(Isa isa);

}  // namespace hwgq::kernels
