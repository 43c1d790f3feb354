// AVX-512 blocks of code_sign_gemm, tiles of up to 6 rows x two 16-column panels (12 zmm
// accumulators): with VNNI one vpdpbusd per (row, panel) and 4-code group; with AVX-512 BW
// only, vpmaddubsw + vpmaddwd with ones (int16 pair sums of at most 2 * 255 * 1, no
// saturation). Compiled for these instruction sets whatever the build targets; only called
// when the CPU has them.
#include "code_sign_gemm_kernels.hpp"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#define HWGQ_AVX512BW __attribute__((target("avx512f,avx512bw,avx512vl")))
#define HWGQ_AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace hwgq::kernels::detail {

namespace {

// The two variants differ only in the multiply-accumulate and the target attribute, which
// a template cannot vary; the macro writes the tile and the block loop for each.
#define HWGQ_CODE_SIGN_TILES(SUFFIX, ATTR, DOT)                                                                \
  template <int R, int NP>                                                                                     \
  ATTR void tile_##SUFFIX(const CodeSignBlock& b, int r0, int panel) {                                         \
    __m512i acc[R][NP];                                                                                        \
    for (int r = 0; r < R; ++r)                                                                                \
      for (int p = 0; p < NP; ++p) acc[r][p] = _mm512_setzero_si512();                                         \
    const __m512i ones = _mm512_set1_epi16(1);                                                                 \
    (void)ones;                                                                                                \
    const uint8_t* q = b.codes + panel * b.panel_bytes;                                                        \
    const int8_t* s = b.signs + r0 * b.sign_stride;                                                            \
    for (int g = 0; g < b.groups; ++g) {                                                                       \
      __m512i qv[NP];                                                                                          \
      for (int p = 0; p < NP; ++p) qv[p] = _mm512_loadu_si512(q + p * b.panel_bytes + g * 64);                 \
      _Pragma("GCC unroll 6") for (int r = 0; r < R; ++r) {                                                    \
        int32_t word;                                                                                          \
        std::memcpy(&word, s + r * b.sign_stride + g * 4, 4);                                                  \
        const __m512i sv = _mm512_set1_epi32(word);                                                            \
        for (int p = 0; p < NP; ++p) acc[r][p] = DOT(acc[r][p], qv[p], sv, ones);                              \
      }                                                                                                        \
    }                                                                                                          \
    alignas(64) int32_t out[R * 32];                                                                           \
    for (int r = 0; r < R; ++r)                                                                                \
      for (int p = 0; p < NP; ++p) _mm512_store_si512(out + r * 32 + p * 16, acc[r][p]);                       \
    const int left = b.columns - panel * 16;                                                                   \
    store_tile(out, R, left < NP * 16 ? left : NP * 16, b.c + r0 * b.ldc + panel * 16, b.ldc);                 \
  }                                                                                                            \
  template <int NP>                                                                                            \
  ATTR void rows_##SUFFIX(const CodeSignBlock& b, int panel) {                                                 \
    int r = 0;                                                                                                 \
    for (; r + 6 <= b.rows; r += 6) tile_##SUFFIX<6, NP>(b, r, panel);                                         \
    switch (b.rows - r) {                                                                                      \
      case 5: tile_##SUFFIX<5, NP>(b, r, panel); break;                                                        \
      case 4: tile_##SUFFIX<4, NP>(b, r, panel); break;                                                        \
      case 3: tile_##SUFFIX<3, NP>(b, r, panel); break;                                                        \
      case 2: tile_##SUFFIX<2, NP>(b, r, panel); break;                                                        \
      case 1: tile_##SUFFIX<1, NP>(b, r, panel); break;                                                        \
      default: break;                                                                                          \
    }                                                                                                          \
  }                                                                                                            \
  ATTR void block_##SUFFIX(const CodeSignBlock& b) {                                                           \
    int panel = 0;                                                                                             \
    for (; panel + 2 <= b.panels; panel += 2) rows_##SUFFIX<2>(b, panel);                                      \
    if (panel < b.panels) rows_##SUFFIX<1>(b, panel);                                                          \
  }

HWGQ_AVX512BW inline __m512i dot_bw(__m512i acc, __m512i codes, __m512i signs, __m512i ones) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(codes, signs), ones));
}
HWGQ_AVX512VNNI inline __m512i dot_vnni(__m512i acc, __m512i codes, __m512i signs, __m512i) {
  return _mm512_dpbusd_epi32(acc, codes, signs);
}

HWGQ_CODE_SIGN_TILES(bw, HWGQ_AVX512BW, dot_bw)
HWGQ_CODE_SIGN_TILES(vnni, HWGQ_AVX512VNNI, dot_vnni)

#undef HWGQ_CODE_SIGN_TILES

}  // namespace

CodeSignBlockFn code_sign_avx512bw() { return block_bw; }
CodeSignBlockFn code_sign_avx512vnni() { return block_vnni; }

}  // namespace hwgq::kernels::detail

#else

namespace hwgq::kernels::detail {
CodeSignBlockFn code_sign_avx512bw() { return nullptr; }
CodeSignBlockFn code_sign_avx512vnni() { return nullptr; }
}  // namespace hwgq::kernels::detail

#endif
