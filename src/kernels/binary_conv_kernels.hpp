// The per-instruction-set pieces of the packed binary convolution (private to src/kernels).
// binary_conv.cpp owns the layout, the threading, the borders and the final scaling; an
// instruction set only provides the two inner loops below, so every path produces the same
// integers and hence bit for bit the same output.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hwgq/kernels/cpu_features.hpp"

namespace hwgq::kernels::detail {

// Popcounts of one output-channel block (PackedBinaryWeights::kOutputLanes filters) against
// a tile of output pixels:
//   counts[(i * planes + p) * kLanes + lane] = sum over taps t and words w of
//       popcount(taps[i * num_taps + t][p * words + w] & weights[(t * words + w) * kLanes + lane])
// taps[i * num_taps + t] points at pixel i's input words for tap t (planes x words, plane
// major), or at zeros where the tap falls in the padding.
struct CountTask {
  const uint64_t* const* taps;
  int pixels;
  int num_taps;
  int planes;
  int words;
  const uint64_t* weights;
  int32_t* counts;
};
constexpr int kLanes = 8;
using CountFn = void (*)(const CountTask&);

// How values map to plane bits: value == levels[k] (k = 0..num_levels-1) has the planes in
// level_planes[k]; the value 0 (either sign) has none; any other value is invalid.
// bit_serial says which encoding level_planes follows (ActivationLevels): plane p holds
// bit p of the code k + 1 (bit-serial) or [k + 1 > p] (thermometer).
struct LevelMatch {
  const float* levels;
  const uint32_t* level_planes;
  int num_levels;
  int planes;
  bool bit_serial;
};
// Classifies m <= 64 consecutive floats: bit i of masks[p] = plane p of x[i] (masks has
// `planes` entries, bits past m are 0). Returns false when some x[i] is neither 0 nor a level.
using ClassifyFn = bool (*)(const float* x, int m, const LevelMatch& match, uint64_t* masks);

// Turns one block's counts into outputs (paper 1.2):
//   d_p = 2 counts[(i * planes + p) * kLanes + lane] - ones[i * planes + p]   (= dot(w, plane_p))
//   bit-serial:  out = float(scale[lane] * double(sum_p d_p << p)) + bias[lane]
//                (scale = alpha * q_1; the sum in 32-bit integers)
//   thermometer: out = float(scale[lane] * sum_p level[p] * double(d_p - d_p+1)) + bias[lane]
//                (scale = alpha, level = q_1..q_K, d_K = 0; summed in p order)
// out[i * kLanes + lane] (scratch), and then, for lane < lanes, into the output:
//   y[lane * y_stride + y_offset[i]] = out[i * kLanes + lane].
// The caller guarantees |sum| < 2^31 and |d_p - d_p+1| < 2^29, so
// every product above is exact in double: the result does not depend on whether a
// compiler fuses a multiply and an add, and every instruction set gives the same bits.
struct FinishTask {
  const int32_t* counts;
  const int32_t* ones;
  int pixels;
  int planes;
  bool bit_serial;
  const double* level;
  const double* scale;
  const float* bias;
  float* out;
  float* y;
  size_t y_stride;
  const size_t* y_offset;
  int lanes;
};
// The output stores of a finish, shared by the instruction sets for the pixels they do not
// store with vectors: pixels [from, task.pixels), one lane's run at a time.
inline void store_lanes(const FinishTask& task, int from) {
  for (int lane = 0; lane < task.lanes; ++lane) {
    float* y = task.y + lane * task.y_stride;
    for (int i = from; i < task.pixels; ++i) y[task.y_offset[i]] = task.out[i * kLanes + lane];
  }
}
using FinishFn = void (*)(const FinishTask&);

// In-place transpose of a 64 x 64 bit matrix, row r = a[r], column c = bit c: afterwards
// bit c of a[r] is what bit r of a[c] was (packing turns per-channel runs of pixels into
// per-pixel words of channels with it).
using TransposeFn = void (*)(uint64_t* a);

struct IsaKernels {
  CountFn count;
  ClassifyFn classify;
  FinishFn finish;
  TransposeFn transpose;
};

// Null for an instruction set this build cannot compile (non-x86 hosts).
const IsaKernels* scalar_kernels();
const IsaKernels* avx2_kernels();
const IsaKernels* avx512_kernels();

}  // namespace hwgq::kernels::detail
