// Portable reference for the packed binary convolution's inner loops; the other
// instruction sets are tested against it.
#include <cstdint>

#include "binary_conv_kernels.hpp"

namespace hwgq::kernels::detail {

namespace {

int popcount64(uint64_t v) { return __builtin_popcountll(v); }

void count_scalar(const CountTask& task) {
  const int stride = task.planes * kLanes;
  for (int i = 0; i < task.pixels; ++i) {
    int32_t* out = task.counts + i * stride;
    for (int k = 0; k < stride; ++k) out[k] = 0;
    for (int t = 0; t < task.num_taps; ++t) {
      const uint64_t* a = task.taps[i * task.num_taps + t];
      const uint64_t* w = task.weights + size_t(t) * task.words * kLanes;
      for (int p = 0; p < task.planes; ++p) {
        for (int word = 0; word < task.words; ++word) {
          const uint64_t plane = a[p * task.words + word];
          for (int lane = 0; lane < kLanes; ++lane) out[p * kLanes + lane] += popcount64(plane & w[word * kLanes + lane]);
        }
      }
    }
  }
}

bool classify_scalar(const float* x, int m, const LevelMatch& match, uint64_t* masks) {
  for (int p = 0; p < match.planes; ++p) masks[p] = 0;
  for (int i = 0; i < m; ++i) {
    const float v = x[i];
    if (v == 0.f) continue;
    int k = 0;
    while (k < match.num_levels && match.levels[k] != v) ++k;
    if (k == match.num_levels) return false;
    for (uint32_t planes = match.level_planes[k]; planes; planes &= planes - 1) {
      masks[__builtin_ctz(planes)] |= uint64_t(1) << i;
    }
  }
  return true;
}

void finish_scalar(const FinishTask& task) {
  const int planes = task.planes;
  for (int i = 0; i < task.pixels; ++i) {
    const int32_t* c = task.counts + i * planes * kLanes;
    const int32_t* ones = task.ones + i * planes;
    for (int lane = 0; lane < kLanes; ++lane) {
      double value;
      if (task.bit_serial) {
        int32_t total = 0;
        for (int p = 0; p < planes; ++p) total += (2 * c[p * kLanes + lane] - ones[p]) * (1 << p);
        value = task.scale[lane] * double(total);
      } else {
        double total = 0;
        for (int p = 0; p < planes; ++p) {
          const int32_t d = 2 * c[p * kLanes + lane] - ones[p];
          const int32_t next = p + 1 < planes ? 2 * c[(p + 1) * kLanes + lane] - ones[p + 1] : 0;
          total += task.level[p] * double(d - next);
        }
        value = task.scale[lane] * total;
      }
      task.out[i * kLanes + lane] = static_cast<float>(value) + task.bias[lane];
    }
  }
  store_lanes(task, 0);
}

// Swaps the off-diagonal blocks at every scale: 32 x 32 blocks, then 16 x 16 within
// them, down to single bits. Rows k and k | j (bit j of k clear) trade j-bit fields.
void transpose_scalar(uint64_t* a) {
  uint64_t mask = 0x00000000FFFFFFFFull;
  for (int j = 32; j != 0; j >>= 1, mask ^= mask << j) {
    for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      const uint64_t t = ((a[k] >> j) ^ a[k | j]) & mask;
      a[k | j] ^= t;
      a[k] ^= t << j;
    }
  }
}

const IsaKernels kScalar = {count_scalar, classify_scalar, finish_scalar, transpose_scalar};

}  // namespace

const IsaKernels* scalar_kernels() { return &kScalar; }

}  // namespace hwgq::kernels::detail
