// The Quant layer's block loops, compiled once per instruction set: each of
// quant_scalar.cpp, quant_avx2.cpp and quant_avx512.cpp defines HWGQ_QUANT_TARGET (a
// function target attribute, or nothing) and includes this file, which gives it its own
// copies (internal linkage) and the table kQuantBlocks. Private to src/kernels.
#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

#include "hwgq/kernels/quant_kernels.hpp"

#ifndef HWGQ_QUANT_TARGET
#error "define HWGQ_QUANT_TARGET before including quant_blocks.inl"
#endif

namespace hwgq::kernels::detail {
namespace {

constexpr int kMaxFixedCenters = QuantKernels::kMaxFixedCenters;

// The kernels below work on [begin, end) and take everything by value or plain pointer so
// the compiler sees no aliasing but x/y. `omp simd` asserts what holds even in place
// (x == y): element i is read before it is written, and no other element is touched. Without
// it the loops stay scalar, and data-dependent branches then cost ~30x a vector loop.

// hwgq forward with N centers known at compile time (the common case: 1-16 levels, i.e. up to 4 bits). The
// thresholds ascend, so the last threshold below x wins: a chain of selects (blends).
// x <= 0 overrides everything; NaN is passed through rather than silently turned into a
// level.
template <int N>
HWGQ_QUANT_TARGET void hwgq_fixed_block(const float* x, float* y, int begin, int end, const float* thr, const float* ctr, float low) {
  float c[N];
  float t[N > 1 ? N - 1 : 1] = {};
  for (int j = 0; j < N; ++j) c[j] = ctr[j];
  for (int j = 0; j + 1 < N; ++j) t[j] = thr[j];
#pragma omp simd
  for (int i = begin; i < end; ++i) {
    const float v = x[i];
    float out = c[0];
#pragma GCC unroll 16
    for (int j = 0; j + 1 < N; ++j) out = v > t[j] ? c[j + 1] : out;
    out = v > 0.f ? out : low;
    y[i] = v == v ? out : v;
  }
}

// Any number of centers: one vector pass per threshold over a sub-block that stays in L1.
// The input is copied first since y may be x.
constexpr int kGeneralSubBlock = 512;

HWGQ_QUANT_TARGET void hwgq_general_block(const float* x, float* y, int begin, int end, const float* thr, const float* ctr, int n,
                        float low) {
  float v[kGeneralSubBlock];
  float out[kGeneralSubBlock];
  for (int s = begin; s < end; s += kGeneralSubBlock) {
    const int m = std::min(kGeneralSubBlock, end - s);
    for (int i = 0; i < m; ++i) {
      v[i] = x[s + i];
      out[i] = ctr[0];
    }
    for (int j = 0; j + 1 < n; ++j) {
      const float t = thr[j];
      const float c = ctr[j + 1];
#pragma omp simd
      for (int i = 0; i < m; ++i) out[i] = v[i] > t ? c : out[i];
    }
#pragma omp simd
    for (int i = 0; i < m; ++i) y[s + i] = v[i] > 0.f ? out[i] : (v[i] == v[i] ? low : v[i]);
  }
}

using HwgqBlock = void (*)(const float*, float*, int, int, const float*, const float*, float);

template <std::size_t... I>
constexpr std::array<HwgqBlock, sizeof...(I)> make_fixed_blocks(std::index_sequence<I...>) {
  return {{&hwgq_fixed_block<int(I) + 1>...}};
}
// kFixedBlocks[n - 1]: the hwgq block kernel for n centers.
constexpr auto kFixedBlocks = make_fixed_blocks(std::make_index_sequence<kMaxFixedCenters>());

HWGQ_QUANT_TARGET void sign_block(const float* x, float* y, int begin, int end) {
#pragma omp simd
  for (int i = begin; i < end; ++i) y[i] = x[i] >= 0.f ? 1.f : -1.f;
}

HWGQ_QUANT_TARGET void hard_tanh_block(const float* x, float* y, int begin, int end) {
#pragma omp simd
  for (int i = begin; i < end; ++i) y[i] = std::min(std::max(x[i], -1.f), 1.f);
}

HWGQ_QUANT_TARGET void relu_block(const float* x, float* y, int begin, int end, float slope) {
  // Selects only, so that no instruction set's choice between -0 and +0 (in max/min, or
  // in a fused multiply-add of a zero product) can differ: x > 0 gives x, a zero of either
  // sign +0, x < 0 gives slope * x (+0 for slope 0), NaN stays NaN.
  const bool no_slope = slope == 0.f;
#pragma omp simd
  for (int i = begin; i < end; ++i) {
    const float v = x[i];
    const float negative = no_slope ? 0.f : slope * v;
    y[i] = v > 0.f ? v : v < 0.f ? negative : v == 0.f ? 0.f : v;
  }
}

// Vanilla ReLU derivative (leaky with negative_slope), zeroed above clip: with
// clip_thr = q_m this is the paper's clipped ReLU.
HWGQ_QUANT_TARGET void relu_backward_block(const float* x, const float* dy, float* dx, int begin, int end, float slope, float clip) {
#pragma omp simd
  for (int i = begin; i < end; ++i) {
    float g = x[i] > 0.f ? 1.f : slope;
    g = x[i] <= clip ? g : 0.f;
    dx[i] = dy[i] * g;
  }
}

HWGQ_QUANT_TARGET void hard_tanh_backward_block(const float* x, const float* dy, float* dx, int begin, int end, float clip) {
#pragma omp simd
  for (int i = begin; i < end; ++i) dx[i] = (-clip <= x[i] && x[i] <= clip) ? dy[i] : 0.f;
}

// Paper: Q_l(x) = q_m + log(x - tau) above q_m with tau = q_m - 1, so the slope is 1 at
// q_m and continuous there.
HWGQ_QUANT_TARGET void log_tailed_backward_block(const float* x, const float* dy, float* dx, int begin, int end, float qm) {
  const float tau = qm - 1.f;
#pragma omp simd
  for (int i = begin; i < end; ++i) {
    const float v = x[i];
    float g = v > 0.f ? 1.f : 0.f;
    g = v > qm ? 1.f / (v - tau) : g;
    dx[i] = dy[i] * g;
  }
}

// Fused with BatchNorm (inference). BatchNorm's output v passes a threshold t exactly when
// x >= the channel's cut for t (normalized_threshold.hpp), so these are the hwgq and sign
// forwards with every comparison on v replaced by one on x: the same selects, the same
// speed, bit for bit the unfused result. cut[r * stride] is the cut of row r (row 0: v > 0
// for hwgq, v >= 0 for sign; row j: v > thr_j).

// One run of m elements of one channel (a row of an N x C x S bottom).
template <int N>
HWGQ_QUANT_TARGET void fused_hwgq_row(const float* x, float* y, int m, const float* cut, int stride, const float* ctr, float low) {
  float c[N];
  float t[N];
  for (int j = 0; j < N; ++j) {
    c[j] = ctr[j];
    t[j] = cut[size_t(j) * stride];
  }
#pragma omp simd
  for (int i = 0; i < m; ++i) {
    const float v = x[i];
    float out = c[0];
#pragma GCC unroll 16
    for (int j = 1; j < N; ++j) out = v >= t[j] ? c[j] : out;
    out = v >= t[0] ? out : low;
    y[i] = v == v ? out : v;
  }
}

// m consecutive channels of one sample (an N x C bottom): element i has the cuts
// cut[r * stride + i].
template <int N>
HWGQ_QUANT_TARGET void fused_hwgq_channels(const float* x, float* y, int m, const float* cut, int stride, const float* ctr,
                         float low) {
  float c[N];
  for (int j = 0; j < N; ++j) c[j] = ctr[j];
#pragma omp simd
  for (int i = 0; i < m; ++i) {
    const float v = x[i];
    float out = c[0];
#pragma GCC unroll 16
    for (int j = 1; j < N; ++j) out = v >= cut[size_t(j) * stride + i] ? c[j] : out;
    out = v >= cut[i] ? out : low;
    y[i] = v == v ? out : v;
  }
}

using FusedHwgqKernel = void (*)(const float*, float*, int, const float*, int, const float*, float);

template <std::size_t... I>
constexpr std::array<FusedHwgqKernel, sizeof...(I)> make_fused_rows(std::index_sequence<I...>) {
  return {{&fused_hwgq_row<int(I) + 1>...}};
}
template <std::size_t... I>
constexpr std::array<FusedHwgqKernel, sizeof...(I)> make_fused_channels(std::index_sequence<I...>) {
  return {{&fused_hwgq_channels<int(I) + 1>...}};
}
constexpr auto kFusedRows = make_fused_rows(std::make_index_sequence<kMaxFixedCenters>());
constexpr auto kFusedChannels = make_fused_channels(std::make_index_sequence<kMaxFixedCenters>());

// sign: v >= 0 <=> x >= cut; NaN gives -1 on both sides.
HWGQ_QUANT_TARGET void fused_sign_row(const float* x, float* y, int m, float cut) {
#pragma omp simd
  for (int i = 0; i < m; ++i) y[i] = x[i] >= cut ? 1.f : -1.f;
}

HWGQ_QUANT_TARGET void fused_sign_channels(const float* x, float* y, int m, const float* cut) {
#pragma omp simd
  for (int i = 0; i < m; ++i) y[i] = x[i] >= cut[i] ? 1.f : -1.f;
}

HWGQ_QUANT_TARGET void hwgq_block(const float* x, float* y, int begin, int end, const float* thr, const float* ctr, int n,
                                  float low) {
  if (n <= kMaxFixedCenters) {
    kFixedBlocks[n - 1](x, y, begin, end, thr, ctr, low);
  } else {
    hwgq_general_block(x, y, begin, end, thr, ctr, n, low);
  }
}

HWGQ_QUANT_TARGET void fused_hwgq_row_n(const float* x, float* y, int m, const float* cut, int stride, const float* ctr,
                                        int n, float low) {
  kFusedRows[n - 1](x, y, m, cut, stride, ctr, low);
}

HWGQ_QUANT_TARGET void fused_hwgq_channels_n(const float* x, float* y, int m, const float* cut, int stride,
                                             const float* ctr, int n, float low) {
  kFusedChannels[n - 1](x, y, m, cut, stride, ctr, low);
}

const QuantKernels kQuantBlocks = {hwgq_block,          sign_block,           hard_tanh_block,
                                   relu_block,          relu_backward_block,  hard_tanh_backward_block,
                                   log_tailed_backward_block, fused_hwgq_row_n, fused_hwgq_channels_n,
                                   fused_sign_row,      fused_sign_channels};

}  // namespace
}  // namespace hwgq::kernels::detail
