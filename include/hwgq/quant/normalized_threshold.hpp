// Where a threshold on BatchNorm's output lies on BatchNorm's input, exactly in float, for
// the BatchNorm + Quant fusion at inference (docs/layers/quant.md, "Fused with BatchNorm").
//
// BatchNorm with global statistics outputs v = fl(fl(x - mean) * inv_std). Float rounding
// is monotone, so with a finite mean and 0 < inv_std < inf the map x -> v never decreases,
// and "v > t" (or "v >= t") holds exactly for the floats x >= X for one float X: the
// smallest x that passes. Comparing x with X then reproduces the comparison on v bit for
// bit, including at and next to the threshold, where X = mean + t / inv_std computed in
// float could be an ulp (or, under cancellation, many ulps) off. X is found by a search over
// the floats in order, starting at that estimate. Shared by the CPU and the CUDA code.
#pragma once

#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define HWGQ_HOST_DEVICE __host__ __device__
#else
#define HWGQ_HOST_DEVICE
#endif

namespace hwgq {

// The non-NaN floats in order as integers (-0 and +0 share 0; -inf and +inf are
// -0x7f800000 and 0x7f800000).
HWGQ_HOST_DEVICE inline int64_t float_order_key(float f) {
  int32_t bits;
#ifdef __CUDA_ARCH__
  bits = __float_as_int(f);
#else
  std::memcpy(&bits, &f, sizeof bits);
#endif
  return bits >= 0 ? int64_t(bits) : int64_t(INT32_MIN) - int64_t(bits);
}

HWGQ_HOST_DEVICE inline float float_from_order_key(int64_t key) {
  const int32_t bits = key >= 0 ? int32_t(key) : int32_t(int64_t(INT32_MIN) - key);
#ifdef __CUDA_ARCH__
  return __int_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

// BatchNorm's output for x, with BatchNorm's two float operations (no contraction: on the
// device they are spelled as round-to-nearest intrinsics).
HWGQ_HOST_DEVICE inline float batch_normalized(float x, float mean, float inv_std) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(__fsub_rn(x, mean), inv_std);
#else
  return (x - mean) * inv_std;
#endif
}

// Whether the float with order key `key` passes the threshold t after normalisation.
HWGQ_HOST_DEVICE inline bool normalized_key_passes(int64_t key, float mean, float inv_std, float t, bool inclusive) {
  const float v = batch_normalized(float_from_order_key(key), mean, inv_std);
  return inclusive ? v >= t : v > t;
}

// Whether the statistics of a channel allow a threshold to be moved onto x: finite mean,
// 0 < inv_std < inf (z - z is 0 exactly for finite z). Otherwise v is NaN for some x, or
// does not grow with x.
HWGQ_HOST_DEVICE inline bool normalization_is_monotone(float mean, float inv_std) {
  return mean - mean == 0.f && inv_std > 0.f && inv_std - inv_std == 0.f;
}

// The smallest float X (never NaN, +inf at most) such that for every non-NaN x,
// batch_normalized(x, mean, inv_std) > t  (>= t when inclusive)  <=>  x >= X.
// Requires normalization_is_monotone(mean, inv_std) and a finite t: then -inf never
// passes and +inf always does, which brackets the search.
HWGQ_HOST_DEVICE inline float normalized_threshold(float mean, float inv_std, float t, bool inclusive) {
  int64_t fail = -int64_t(0x7f800000);  // -inf
  int64_t pass = int64_t(0x7f800000);   // +inf
  // Start at the real-valued answer and widen by doubling steps until the boundary is
  // bracketed: usually it is within an ulp or two, so a handful of evaluations suffice.
  const int64_t guess = float_order_key(mean + t / inv_std);
  if (normalized_key_passes(guess, mean, inv_std, t, inclusive)) {
    pass = guess;
    for (int64_t step = 1;; step *= 2) {
      const int64_t probe = pass - step;
      if (probe <= fail) break;
      if (!normalized_key_passes(probe, mean, inv_std, t, inclusive)) {
        fail = probe;
        break;
      }
      pass = probe;
    }
  } else {
    fail = guess;
    for (int64_t step = 1;; step *= 2) {
      const int64_t probe = fail + step;
      if (probe >= pass) break;
      if (normalized_key_passes(probe, mean, inv_std, t, inclusive)) {
        pass = probe;
        break;
      }
      fail = probe;
    }
  }
  while (pass - fail > 1) {
    const int64_t mid = fail + (pass - fail) / 2;
    if (normalized_key_passes(mid, mean, inv_std, t, inclusive)) {
      pass = mid;
    } else {
      fail = mid;
    }
  }
  return float_from_order_key(pass);
}

}  // namespace hwgq
