// AVX-512 (F, BW, VL, VPOPCNTDQ) inner loops of the packed binary convolution. Compiled for
// that instruction set whatever the build targets, and only called when the CPU has it
// (cpu_features.cpp). Nothing here may be inline code shared with other files: only
// functions of this file carry the target attribute.
#include "binary_conv_kernels.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#define HWGQ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vpopcntdq,popcnt")))

namespace hwgq::kernels::detail {

namespace {

// One zmm holds the same word of the block's 8 filters. For BP pixels and PB planes
// (from plane p0), each word of each tap is one load, then per (pixel, plane) a broadcast
// of the activation word, AND, VPOPCNTQ and an add into that pair's 8 counters.
template <int BP, int PB>
HWGQ_AVX512 void count_tile(const CountTask& task, int i0, int p0) {
  __m512i acc[BP][PB];
#pragma GCC unroll 16
  for (int i = 0; i < BP; ++i) {
#pragma GCC unroll 4
    for (int p = 0; p < PB; ++p) acc[i][p] = _mm512_setzero_si512();
  }
  const int words = task.words;
  const int taps = task.num_taps;
  for (int t = 0; t < taps; ++t) {
    const uint64_t* a[BP];
#pragma GCC unroll 16
    for (int i = 0; i < BP; ++i) a[i] = task.taps[(i0 + i) * taps + t] + p0 * words;
    const uint64_t* w = task.weights + size_t(t) * words * kLanes;
    for (int word = 0; word < words; ++word) {
      const __m512i wv = _mm512_loadu_si512(w + word * kLanes);
#pragma GCC unroll 16
      for (int i = 0; i < BP; ++i) {
#pragma GCC unroll 4
        for (int p = 0; p < PB; ++p) {
          const __m512i av = _mm512_set1_epi64(static_cast<long long>(a[i][p * words + word]));
          acc[i][p] = _mm512_add_epi64(acc[i][p], _mm512_popcnt_epi64(_mm512_and_si512(av, wv)));
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < BP; ++i) {
#pragma GCC unroll 4
    for (int p = 0; p < PB; ++p) {
      int32_t* out = task.counts + ((i0 + i) * task.planes + p0 + p) * kLanes;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_maskz_cvtepi64_epi32(0xFF, acc[i][p]));
    }
  }
}

// All pixels of the task for planes [p0, p0 + PB): BP at a time, then the rest.
template <int PB, int BP>
HWGQ_AVX512 void count_planes(const CountTask& task, int p0) {
  int i = 0;
  for (; i + BP <= task.pixels; i += BP) count_tile<BP, PB>(task, i, p0);
  for (; i + 4 <= task.pixels; i += 4) count_tile<4, PB>(task, i, p0);
  for (; i < task.pixels; ++i) count_tile<1, PB>(task, i, p0);
}

// Up to 4 planes per pass; the pixel block fills about 24 of the 32 registers.
HWGQ_AVX512 void count_avx512(const CountTask& task) {
  int p0 = 0;
  while (p0 < task.planes) {
    switch (task.planes - p0) {
      case 1:
        count_planes<1, 16>(task, p0);
        p0 += 1;
        break;
      case 2:
        count_planes<2, 12>(task, p0);
        p0 += 2;
        break;
      case 3:
        count_planes<3, 8>(task, p0);
        p0 += 3;
        break;
      default:
        count_planes<4, 6>(task, p0);
        p0 += 4;
        break;
    }
  }
}

// 16 values per compare, 4 compares for 64 values. Each level's equality masks are the
// 64-bit set of values at that level, ORed straight into the planes that level has; a value
// is valid when it equals 0 or some level. Lanes past m load as 0: valid, no planes.
HWGQ_AVX512 bool classify_avx512(const float* x, int m, const LevelMatch& match, uint64_t* masks) {
  __m512 v[4];
  uint64_t known = 0;
#pragma GCC unroll 4
  for (int chunk = 0; chunk < 4; ++chunk) {
    const int s = 16 * chunk;
    const int len = m - s <= 0 ? 0 : (m - s < 16 ? m - s : 16);
    const __mmask16 live = static_cast<__mmask16>(len == 16 ? 0xFFFFu : (1u << len) - 1u);
    v[chunk] = _mm512_maskz_loadu_ps(live, x + s);
    known |= uint64_t(_mm512_cmp_ps_mask(v[chunk], _mm512_setzero_ps(), _CMP_EQ_OQ)) << s;
  }
  for (int p = 0; p < match.planes; ++p) masks[p] = 0;
  for (int k = 0; k < match.num_levels; ++k) {
    const __m512 level = _mm512_set1_ps(match.levels[k]);
    uint64_t equal = 0;
#pragma GCC unroll 4
    for (int chunk = 0; chunk < 4; ++chunk) {
      equal |= uint64_t(_mm512_cmp_ps_mask(v[chunk], level, _CMP_EQ_OQ)) << (16 * chunk);
    }
    known |= equal;
    for (uint32_t planes = match.level_planes[k]; planes; planes &= planes - 1) masks[__builtin_ctz(planes)] |= equal;
  }
  return known == ~uint64_t(0);
}

// As store_transposed in binary_conv_avx2.cpp (AVX is part of this target): 8 pixels x 8 lanes of task.out at a time, transposed in
// registers (unpack, shuffle, 128-bit permute) so that each lane's 8 pixels go out in one
// store when they are consecutive in the output; other pixels one by one (store_lanes).
HWGQ_AVX512 void store_transposed(const FinishTask& task) {
  int i = 0;
  for (; i + 8 <= task.pixels; i += 8) {
    if (task.y_offset[i + 7] != task.y_offset[i] + 7) break;  // an image starts inside
    __m256 r[8];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(task.out + (i + j) * kLanes);
    __m256 t[8], s[8], lane[8];
#pragma GCC unroll 4
    for (int j = 0; j < 8; j += 2) {
      t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
      t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
    }
#pragma GCC unroll 2
    for (int j = 0; j < 8; j += 4) {
      s[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
      s[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xEE);
      s[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
      s[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      lane[j] = _mm256_permute2f128_ps(s[j], s[j + 4], 0x20);
      lane[j + 4] = _mm256_permute2f128_ps(s[j], s[j + 4], 0x31);
    }
    float* y = task.y + task.y_offset[i];
    for (int j = 0; j < task.lanes; ++j) _mm256_storeu_ps(y + j * task.y_stride, lane[j]);
  }
  store_lanes(task, i);
}

// 8 lanes: int32 sums in a ymm, doubles in a zmm, floats back in a ymm.
// The bit-serial case with the plane count fixed at compile time (the 2-bit quantizer's 2
// planes above all): the plane loop unrolls, and each pixel is a short straight run of
// instructions. Same operations in the same order as the general loop below.
template <int P>
HWGQ_AVX512 void finish_bit_serial(const FinishTask& task) {
  const __m512d scale = _mm512_loadu_pd(task.scale);
  const __m256 bias = _mm256_loadu_ps(task.bias);
  for (int i = 0; i < task.pixels; ++i) {
    const int32_t* c = task.counts + i * P * kLanes;
    const int32_t* ones = task.ones + i * P;
    __m256i total = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int p = 0; p < P; ++p) {
      const __m256i counts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + p * kLanes));
      const __m256i dot = _mm256_sub_epi32(_mm256_add_epi32(counts, counts), _mm256_set1_epi32(ones[p]));
      total = _mm256_add_epi32(total, _mm256_slli_epi32(dot, p));
    }
    const __m512d value = _mm512_mul_pd(scale, _mm512_maskz_cvtepi32_pd(0xFF, total));
    _mm256_storeu_ps(task.out + i * kLanes, _mm256_add_ps(_mm512_maskz_cvtpd_ps(0xFF, value), bias));
  }
  store_transposed(task);
}

HWGQ_AVX512 void finish_avx512(const FinishTask& task) {
  if (task.bit_serial && task.planes == 2) return finish_bit_serial<2>(task);
  if (task.bit_serial && task.planes == 1) return finish_bit_serial<1>(task);
  const int planes = task.planes;
  const __m512d scale = _mm512_loadu_pd(task.scale);
  const __m256 bias = _mm256_loadu_ps(task.bias);
  for (int i = 0; i < task.pixels; ++i) {
    const int32_t* c = task.counts + i * planes * kLanes;
    const int32_t* ones = task.ones + i * planes;
    auto dot = [&](int p) HWGQ_AVX512 {
      const __m256i counts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + p * kLanes));
      return _mm256_sub_epi32(_mm256_add_epi32(counts, counts), _mm256_set1_epi32(ones[p]));
    };
    __m512d value;
    if (task.bit_serial) {
      __m256i total = _mm256_setzero_si256();
      for (int p = 0; p < planes; ++p) total = _mm256_add_epi32(total, _mm256_sll_epi32(dot(p), _mm_cvtsi32_si128(p)));
      value = _mm512_mul_pd(scale, _mm512_maskz_cvtepi32_pd(0xFF, total));
    } else {
      __m512d total = _mm512_setzero_pd();
      __m256i d = dot(0);
      for (int p = 0; p < planes; ++p) {
        const __m256i next = p + 1 < planes ? dot(p + 1) : _mm256_setzero_si256();
        total = _mm512_add_pd(total, _mm512_mul_pd(_mm512_set1_pd(task.level[p]),
                                                   _mm512_maskz_cvtepi32_pd(0xFF, _mm256_sub_epi32(d, next))));
        d = next;
      }
      value = _mm512_mul_pd(scale, total);
    }
    _mm256_storeu_ps(task.out + i * kLanes, _mm256_add_ps(_mm512_maskz_cvtpd_ps(0xFF, value), bias));
  }
  store_transposed(task);
}

// transpose_scalar's six stages on eight zmm of eight rows each. Row k = 8 r + lane, so the
// stages that pair rows 32, 16 and 8 apart pair whole registers, and the stages that pair
// rows 4, 2 and 1 apart pair lanes of one register: there a permute brings each lane's
// partner row alongside, both halves of the exchange are computed for every lane, and a
// blend keeps the one that lane plays. (a ^ b) & c is one vpternlogq (truth table 0x28).
template <int J>
HWGQ_AVX512 inline void exchange_registers(__m512i& low, __m512i& high, __m512i mask) {
  const __m512i t = _mm512_ternarylogic_epi64(_mm512_srli_epi64(low, J), high, mask, 0x28);
  high = _mm512_xor_si512(high, t);
  low = _mm512_xor_si512(low, _mm512_slli_epi64(t, J));
}

template <int J>
HWGQ_AVX512 inline __m512i partner_lane(__m512i v) {
  if constexpr (J == 4) return _mm512_shuffle_i64x2(v, v, 0x4E);  // swap 256-bit halves
  if constexpr (J == 2) return _mm512_permutex_epi64(v, 0x4E);    // swap qword pairs
  return _mm512_shuffle_epi32(v, _MM_PERM_BADC);                 // swap neighbouring qwords
}

template <int J>
HWGQ_AVX512 inline __m512i exchange_lanes(__m512i v, __m512i mask) {
  // Lanes whose row has bit J set play the "k | J" role.
  constexpr __mmask8 kHigh = J == 4 ? 0xF0 : (J == 2 ? 0xCC : 0xAA);
  const __m512i p = partner_lane<J>(v);
  const __m512i as_low =
      _mm512_xor_si512(v, _mm512_slli_epi64(_mm512_ternarylogic_epi64(_mm512_srli_epi64(v, J), p, mask, 0x28), J));
  const __m512i as_high = _mm512_xor_si512(v, _mm512_ternarylogic_epi64(_mm512_srli_epi64(p, J), v, mask, 0x28));
  return _mm512_mask_blend_epi64(kHigh, as_low, as_high);
}

HWGQ_AVX512 void transpose_avx512(uint64_t* a) {
  __m512i r[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) r[i] = _mm512_loadu_si512(a + 8 * i);
  const __m512i m32 = _mm512_set1_epi64(0x00000000FFFFFFFFll);
  const __m512i m16 = _mm512_set1_epi64(0x0000FFFF0000FFFFll);
  const __m512i m8 = _mm512_set1_epi64(0x00FF00FF00FF00FFll);
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) exchange_registers<32>(r[i], r[i + 4], m32);
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += (i & 1) ? 3 : 1) exchange_registers<16>(r[i], r[i + 2], m16);
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += 2) exchange_registers<8>(r[i], r[i + 1], m8);
  const __m512i m4 = _mm512_set1_epi64(0x0F0F0F0F0F0F0F0Fll);
  const __m512i m2 = _mm512_set1_epi64(0x3333333333333333ll);
  const __m512i m1 = _mm512_set1_epi64(0x5555555555555555ll);
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i) {
    __m512i v = exchange_lanes<4>(r[i], m4);
    v = exchange_lanes<2>(v, m2);
    v = exchange_lanes<1>(v, m1);
    _mm512_storeu_si512(a + 8 * i, v);
  }
}

const IsaKernels kAvx512 = {count_avx512, classify_avx512, finish_avx512, transpose_avx512};

}  // namespace

const IsaKernels* avx512_kernels() { return &kAvx512; }

}  // namespace hwgq::kernels::detail

#else

namespace hwgq::kernels::detail {
const IsaKernels* avx512_kernels() { return nullptr; }
}  // namespace hwgq::kernels::detail

#endif
