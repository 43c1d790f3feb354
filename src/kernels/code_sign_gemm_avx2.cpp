// AVX2 block of code_sign_gemm: vpmaddubsw (codes u8 x signs s8 -> int16 pair sums, at
// most 2 * 255 * 1, no saturation) then vpmaddwd with ones (-> int32 sums of 4) added into
// register accumulators. Tiles of up to 4 rows x one 16-column panel (8 accumulators).
// Compiled for AVX2 whatever the build targets; only called when the CPU has it.
#include "code_sign_gemm_kernels.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#define HWGQ_AVX2 __attribute__((target("avx2,fma")))

namespace hwgq::kernels::detail {

namespace {

template <int R>
HWGQ_AVX2 void tile(const CodeSignBlock& b, int r0, int panel) {
  __m256i acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi16(1);
  const uint8_t* q = b.codes + panel * b.panel_bytes;
  const int8_t* s = b.signs + r0 * b.sign_stride;
  for (int g = 0; g < b.groups; ++g) {
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + g * 64));
    const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + g * 64 + 32));
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      int32_t word;
      std::memcpy(&word, s + r * b.sign_stride + g * 4, 4);
      const __m256i sv = _mm256_set1_epi32(word);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(q0, sv), ones));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(q1, sv), ones));
    }
  }
  alignas(32) int32_t out[R * 32];
  for (int r = 0; r < R; ++r) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + r * 32), acc[r][0]);
    _mm256_store_si256(reinterpret_cast<__m256i*>(out + r * 32 + 8), acc[r][1]);
  }
  const int columns = b.columns - panel * 16 < 16 ? b.columns - panel * 16 : 16;
  store_tile(out, R, columns, b.c + r0 * b.ldc + panel * 16, b.ldc);
}

HWGQ_AVX2 void block_avx2(const CodeSignBlock& b) {
  for (int panel = 0; panel < b.panels; ++panel) {
    int r = 0;
    for (; r + 4 <= b.rows; r += 4) tile<4>(b, r, panel);
    switch (b.rows - r) {
      case 3:
        tile<3>(b, r, panel);
        break;
      case 2:
        tile<2>(b, r, panel);
        break;
      case 1:
        tile<1>(b, r, panel);
        break;
      default:
        break;
    }
  }
}

}  // namespace

CodeSignBlockFn code_sign_avx2() { return block_avx2; }

}  // namespace hwgq::kernels::detail

#else

namespace hwgq::kernels::detail {
CodeSignBlockFn code_sign_avx2() { return nullptr; }
}  // namespace hwgq::kernels::detail

#endif
