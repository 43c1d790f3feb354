// AVX2 inner loops of the packed binary convolution. AVX2 has no vector popcount, so bytes
// are counted with a 16-entry nibble table (vpshufb). Compiled for AVX2 whatever the build
// targets, and only called when the CPU has it (cpu_features.cpp); only functions of this
// file carry the target attribute.
#include "binary_conv_kernels.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#define HWGQ_AVX2 __attribute__((target("avx2,fma,popcnt")))

namespace hwgq::kernels::detail {

namespace {

// Byte counters take at most 8 per step (two nibble counts of 4); 31 steps stay below 256.
constexpr int kStepsPerFlush = 31;

// Four of the block's filters (lanes 4 half .. 4 half + 3), one per 64-bit lane. The
// weight word is split into its low and high nibbles once per word, so each (pixel, plane)
// costs a broadcast, a shift, two ANDs, two table lookups and two byte adds; the byte
// counters are summed into 64-bit counters (vpsadbw) every kStepsPerFlush words.
template <int BP, int PB>
HWGQ_AVX2 void count_tile(const CountTask& task, int i0, int p0, int half) {
  const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low_nibbles = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  __m256i bytes[BP][PB];
  __m256i sums[BP][PB];
#pragma GCC unroll 16
  for (int i = 0; i < BP; ++i) {
#pragma GCC unroll 4
    for (int p = 0; p < PB; ++p) bytes[i][p] = sums[i][p] = zero;
  }
  const int words = task.words;
  const int taps = task.num_taps;
  int steps = 0;
  for (int t = 0; t < taps; ++t) {
    const uint64_t* a[BP];
#pragma GCC unroll 16
    for (int i = 0; i < BP; ++i) a[i] = task.taps[(i0 + i) * taps + t] + p0 * words;
    const uint64_t* w = task.weights + size_t(t) * words * kLanes + 4 * half;
    for (int word = 0; word < words; ++word) {
      const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + word * kLanes));
      const __m256i w_low = _mm256_and_si256(wv, low_nibbles);
      const __m256i w_high = _mm256_and_si256(_mm256_srli_epi64(wv, 4), low_nibbles);
#pragma GCC unroll 16
      for (int i = 0; i < BP; ++i) {
#pragma GCC unroll 4
        for (int p = 0; p < PB; ++p) {
          const __m256i av = _mm256_set1_epi64x(static_cast<long long>(a[i][p * words + word]));
          // The shifted word's stray bits land in high nibbles, which w_high clears.
          const __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(av, w_low));
          const __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi64(av, 4), w_high));
          bytes[i][p] = _mm256_add_epi8(bytes[i][p], _mm256_add_epi8(lo, hi));
        }
      }
      if (++steps == kStepsPerFlush) {
        steps = 0;
#pragma GCC unroll 16
        for (int i = 0; i < BP; ++i) {
#pragma GCC unroll 4
          for (int p = 0; p < PB; ++p) {
            sums[i][p] = _mm256_add_epi64(sums[i][p], _mm256_sad_epu8(bytes[i][p], zero));
            bytes[i][p] = zero;
          }
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < BP; ++i) {
#pragma GCC unroll 4
    for (int p = 0; p < PB; ++p) {
      const __m256i total = _mm256_add_epi64(sums[i][p], _mm256_sad_epu8(bytes[i][p], zero));
      // The low 32 bits of each 64-bit counter, in order.
      const __m256i packed = _mm256_permutevar8x32_epi32(total, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
      int32_t* out = task.counts + ((i0 + i) * task.planes + p0 + p) * kLanes + 4 * half;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(packed));
    }
  }
}

template <int PB, int BP>
HWGQ_AVX2 void count_planes(const CountTask& task, int p0) {
  for (int half = 0; half < 2; ++half) {
    int i = 0;
    for (; i + BP <= task.pixels; i += BP) count_tile<BP, PB>(task, i, p0, half);
    for (; i < task.pixels; ++i) count_tile<1, PB>(task, i, p0, half);
  }
}

// 16 registers: the table, the nibble mask, zero, the split weight and temporaries leave
// room for about 8 byte counters.
HWGQ_AVX2 void count_avx2(const CountTask& task) {
  int p0 = 0;
  while (p0 < task.planes) {
    switch (task.planes - p0) {
      case 1:
        count_planes<1, 8>(task, p0);
        p0 += 1;
        break;
      case 2:
        count_planes<2, 4>(task, p0);
        p0 += 2;
        break;
      case 3:
        count_planes<3, 2>(task, p0);
        p0 += 3;
        break;
      default:
        count_planes<4, 2>(task, p0);
        p0 += 4;
        break;
    }
  }
}

// 8 values per compare, as classify_avx512: per level a 64-bit equality mask (movemask of
// eight compares), ORed into that level's planes.
HWGQ_AVX2 bool classify_avx2(const float* x, int m, const LevelMatch& match, uint64_t* masks) {
  __m256 v[8];
  uint64_t known = 0;
#pragma GCC unroll 8
  for (int chunk = 0; chunk < 8; ++chunk) {
    const int s = 8 * chunk;
    const int len = m - s <= 0 ? 0 : (m - s < 8 ? m - s : 8);
    if (len == 8) {
      v[chunk] = _mm256_loadu_ps(x + s);
    } else {
      // Lanes past m read as 0: valid, no planes.
      float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int i = 0; i < len; ++i) tail[i] = x[s + i];
      v[chunk] = _mm256_loadu_ps(tail);
    }
    known |= uint64_t(_mm256_movemask_ps(_mm256_cmp_ps(v[chunk], _mm256_setzero_ps(), _CMP_EQ_OQ))) << s;
  }
  for (int p = 0; p < match.planes; ++p) masks[p] = 0;
  for (int k = 0; k < match.num_levels; ++k) {
    const __m256 level = _mm256_set1_ps(match.levels[k]);
    uint64_t equal = 0;
#pragma GCC unroll 8
    for (int chunk = 0; chunk < 8; ++chunk) {
      equal |= uint64_t(_mm256_movemask_ps(_mm256_cmp_ps(v[chunk], level, _CMP_EQ_OQ))) << (8 * chunk);
    }
    known |= equal;
    for (uint32_t planes = match.level_planes[k]; planes; planes &= planes - 1) masks[__builtin_ctz(planes)] |= equal;
  }
  return known == ~uint64_t(0);
}

// The output stores of a finish: 8 pixels x 8 lanes of task.out at a time, transposed in
// registers (unpack, shuffle, 128-bit permute) so that each lane's 8 pixels go out in one
// store when they are consecutive in the output; other pixels one by one (store_lanes).
HWGQ_AVX2 void store_transposed(const FinishTask& task) {
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

// 8 lanes: int32 sums in a ymm, doubles in two ymm halves, floats back in a ymm.
// As finish_bit_serial in binary_conv_avx512.cpp: the plane loop unrolled for a fixed count.
template <int P>
HWGQ_AVX2 void finish_bit_serial(const FinishTask& task) {
  const __m256d scale_low = _mm256_loadu_pd(task.scale);
  const __m256d scale_high = _mm256_loadu_pd(task.scale + 4);
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
    const __m256d low = _mm256_mul_pd(scale_low, _mm256_cvtepi32_pd(_mm256_castsi256_si128(total)));
    const __m256d high = _mm256_mul_pd(scale_high, _mm256_cvtepi32_pd(_mm256_extracti128_si256(total, 1)));
    const __m256 value = _mm256_set_m128(_mm256_cvtpd_ps(high), _mm256_cvtpd_ps(low));
    _mm256_storeu_ps(task.out + i * kLanes, _mm256_add_ps(value, bias));
  }
  store_transposed(task);
}

HWGQ_AVX2 void finish_avx2(const FinishTask& task) {
  if (task.bit_serial && task.planes == 2) return finish_bit_serial<2>(task);
  if (task.bit_serial && task.planes == 1) return finish_bit_serial<1>(task);
  const int planes = task.planes;
  const __m256d scale_low = _mm256_loadu_pd(task.scale);
  const __m256d scale_high = _mm256_loadu_pd(task.scale + 4);
  const __m256 bias = _mm256_loadu_ps(task.bias);
  for (int i = 0; i < task.pixels; ++i) {
    const int32_t* c = task.counts + i * planes * kLanes;
    const int32_t* ones = task.ones + i * planes;
    auto dot = [&](int p) HWGQ_AVX2 {
      const __m256i counts = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + p * kLanes));
      return _mm256_sub_epi32(_mm256_add_epi32(counts, counts), _mm256_set1_epi32(ones[p]));
    };
    __m256d low, high;
    if (task.bit_serial) {
      __m256i total = _mm256_setzero_si256();
      for (int p = 0; p < planes; ++p) total = _mm256_add_epi32(total, _mm256_sll_epi32(dot(p), _mm_cvtsi32_si128(p)));
      low = _mm256_mul_pd(scale_low, _mm256_cvtepi32_pd(_mm256_castsi256_si128(total)));
      high = _mm256_mul_pd(scale_high, _mm256_cvtepi32_pd(_mm256_extracti128_si256(total, 1)));
    } else {
      __m256d sum_low = _mm256_setzero_pd(), sum_high = _mm256_setzero_pd();
      __m256i d = dot(0);
      for (int p = 0; p < planes; ++p) {
        const __m256i next = p + 1 < planes ? dot(p + 1) : _mm256_setzero_si256();
        const __m256i e = _mm256_sub_epi32(d, next);
        const __m256d level = _mm256_set1_pd(task.level[p]);
        sum_low = _mm256_add_pd(sum_low, _mm256_mul_pd(level, _mm256_cvtepi32_pd(_mm256_castsi256_si128(e))));
        sum_high = _mm256_add_pd(sum_high, _mm256_mul_pd(level, _mm256_cvtepi32_pd(_mm256_extracti128_si256(e, 1))));
        d = next;
      }
      low = _mm256_mul_pd(scale_low, sum_low);
      high = _mm256_mul_pd(scale_high, sum_high);
    }
    const __m256 value = _mm256_set_m128(_mm256_cvtpd_ps(high), _mm256_cvtpd_ps(low));
    _mm256_storeu_ps(task.out + i * kLanes, _mm256_add_ps(value, bias));
  }
  store_transposed(task);
}

// transpose_scalar's stages with four rows per ymm (row k = 4 r + lane): rows 32, 16, 8 and
// 4 apart are whole registers, exchanged in place in memory; rows 2 and 1 apart are lanes
// of one register, handled as in transpose_avx512 (partner lane by permute, both roles
// computed, blend).
template <int J>
HWGQ_AVX2 inline void exchange_rows(uint64_t* a, int low, __m256i mask) {
  __m256i l = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + low));
  __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + low + J));
  const __m256i t = _mm256_and_si256(_mm256_xor_si256(_mm256_srli_epi64(l, J), h), mask);
  h = _mm256_xor_si256(h, t);
  l = _mm256_xor_si256(l, _mm256_slli_epi64(t, J));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + low), l);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + low + J), h);
}

template <int J>
HWGQ_AVX2 inline __m256i exchange_lanes(__m256i v, __m256i mask) {
  const __m256i p = J == 2 ? _mm256_permute4x64_epi64(v, 0x4E) : _mm256_shuffle_epi32(v, 0x4E);
  const __m256i as_low = _mm256_xor_si256(
      v, _mm256_slli_epi64(_mm256_and_si256(_mm256_xor_si256(_mm256_srli_epi64(v, J), p), mask), J));
  const __m256i as_high = _mm256_xor_si256(v, _mm256_and_si256(_mm256_xor_si256(_mm256_srli_epi64(p, J), v), mask));
  // Lanes whose row has bit J set (qwords 2, 3 for J = 2; 1, 3 for J = 1) take as_high.
  return _mm256_blend_epi32(as_low, as_high, J == 2 ? 0xF0 : 0xCC);
}

template <int J>
HWGQ_AVX2 inline void register_stage(uint64_t* a, long long mask) {
  const __m256i m = _mm256_set1_epi64x(mask);
  for (int k = 0; k < 64; k = ((k | J) + 4) & ~J) exchange_rows<J>(a, k, m);
}

HWGQ_AVX2 void transpose_avx2(uint64_t* a) {
  register_stage<32>(a, 0x00000000FFFFFFFFll);
  register_stage<16>(a, 0x0000FFFF0000FFFFll);
  register_stage<8>(a, 0x00FF00FF00FF00FFll);
  register_stage<4>(a, 0x0F0F0F0F0F0F0F0Fll);
  const __m256i m2 = _mm256_set1_epi64x(0x3333333333333333ll);
  const __m256i m1 = _mm256_set1_epi64x(0x5555555555555555ll);
  for (int i = 0; i < 64; i += 4) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
    v = exchange_lanes<1>(exchange_lanes<2>(v, m2), m1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + i), v);
  }
}

const IsaKernels kAvx2 = {count_avx2, classify_avx2, finish_avx2, transpose_avx2};

}  // namespace

const IsaKernels* avx2_kernels() { return &kAvx2; }

}  // namespace hwgq::kernels::detail

#else

namespace hwgq::kernels::detail {
const IsaKernels* avx2_kernels() { return nullptr; }
}  // namespace hwgq::kernels::detail

#endif
