// Packing, blocking and threading of code_sign_gemm; the inner loops come from the active
// instruction set (code_sign_gemm_kernels.hpp).
#include "hwgq/kernels/code_sign_gemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "code_sign_gemm_kernels.hpp"
#include "hwgq/common.hpp"
#include "hwgq/quant/binarize.hpp"

namespace hwgq::kernels {

namespace {

// Rows and panels per work item: a multiple of every kernel's tile height (4 and 6) and
// of its panel pair; a block's codes (4 panels x depth x 16 bytes) stay in L2 while its
// rows stream past.
constexpr int kRowBlock = 96;
constexpr int kPanelBlock = 4;
// Below this many multiply-adds a block runs on the calling thread alone.
constexpr long long kMinParallelWork = 1 << 20;

detail::CodeSignBlockFn kernel_for(Isa isa, bool vnni) {
  detail::CodeSignBlockFn fn = nullptr;
  switch (isa) {
    case Isa::kScalar:
      fn = detail::code_sign_scalar();
      break;
    case Isa::kAvx2:
      fn = detail::code_sign_avx2();
      break;
    case Isa::kAvx512:
      fn = vnni ? detail::code_sign_avx512vnni() : detail::code_sign_avx512bw();
      break;
  }
  HWGQ_REQUIRE(fn, "the " << isa_name(isa) << (vnni ? " (vnni)" : "") << " code x sign kernel is not part of this build");
  HWGQ_REQUIRE(isa_supported(isa) && (!vnni || (isa == Isa::kAvx512 && cpu_features().avx512vnni)),
               "this CPU (" << cpu_feature_string() << ") cannot run the " << isa_name(isa) << (vnni ? " vnni" : "")
                            << " code x sign kernel");
  return fn;
}

size_t round_up(size_t value, size_t unit) { return (value + unit - 1) / unit * unit; }

}  // namespace

void PackedCodes::resize(int new_depth, int new_columns) {
  HWGQ_REQUIRE(new_depth >= 0 && new_columns >= 0, "packed codes: negative size " << new_depth << " x " << new_columns);
  HWGQ_REQUIRE(static_cast<long long>(new_depth) * kMaxCode < (1LL << 31),
               "packed codes: depth " << new_depth << " could overflow the int32 sums");
  depth = new_depth;
  columns = new_columns;
  groups = static_cast<int>(round_up(depth, kDepthGroup) / kDepthGroup);
  panels = static_cast<int>(round_up(columns, kPanelColumns) / kPanelColumns);
  data.assign(panel_bytes() * panels, 0);
}

bool uniform_codes(const std::vector<float>& centers, LevelCodes* codes) {
  if (centers.empty() || static_cast<int>(centers.size()) > kMaxCode || !(centers[0] > 0.f)) return false;
  const double step = centers[0];
  for (size_t j = 0; j < centers.size(); ++j) {
    const double ideal = step * static_cast<double>(j + 1);
    if (std::fabs(centers[j] - ideal) > std::ldexp(ideal, -20)) return false;
  }
  codes->step = centers[0];
  codes->inv_step = 1.f / centers[0];
  codes->values.assign(1, 0.f);
  codes->values.insert(codes->values.end(), centers.begin(), centers.end());
  return true;
}

void pack_signs(const float* w, int rows, int depth, bool use_alpha, PackedSigns* out, float* binarized) {
  out->rows = rows;
  out->depth = depth;
  out->padded_depth = static_cast<int>(round_up(depth, kDepthGroup));
  out->data.assign(static_cast<size_t>(rows) * out->padded_depth, 0);
  out->alphas.resize(rows);
#pragma omp parallel for if (static_cast<long long>(rows) * depth > (1 << 16))
  for (int i = 0; i < rows; ++i) {
    const float* row = w + static_cast<size_t>(i) * depth;
    int8_t* signs = out->data.data() + static_cast<size_t>(i) * out->padded_depth;
    const float alpha = use_alpha ? binary_alpha(row, depth) : 1.f;
    out->alphas[i] = alpha;
    if (binarized) {
      float* dst = binarized + static_cast<size_t>(i) * depth;
      for (int j = 0; j < depth; ++j) {
        const float s = binary_sign(row[j]);
        signs[j] = static_cast<int8_t>(s);
        dst[j] = alpha * s;
      }
    } else {
      for (int j = 0; j < depth; ++j) signs[j] = static_cast<int8_t>(binary_sign(row[j]));
    }
  }
}

bool map_codes(const float* x, size_t count, const LevelCodes& codes, uint8_t* out) {
  const float inv = codes.inv_step;
  const float limit = static_cast<float>(codes.max_code()) + 1.f;
  const float* values = codes.values.data();
  bool ok = true;
  for (size_t i = 0; i < count; ++i) {
    const float v = x[i];
    // Rounded to the nearest code, then checked against the exact level: only a value
    // that is 0 or a level passes (NaN and negatives fail the range test).
    const float t = v * inv + 0.5f;
    const bool in_range = t >= 0.f && t < limit;
    const int c = in_range ? static_cast<int>(t) : 0;
    ok &= in_range && values[c] == v;
    out[i] = static_cast<uint8_t>(c);
  }
  return ok;
}

namespace {

// Interleaves 4 rows of 16 codes (row stride `stride`) into one 64-byte panel group:
// out[n * 4 + i] = rows[i * stride + n].
inline void interleave_group(const uint8_t* rows, size_t stride, uint8_t* out) {
#ifdef __SSE2__
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows + stride));
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows + 2 * stride));
  const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows + 3 * stride));
  const __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
  const __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_unpacklo_epi16(ab_lo, cd_lo));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), _mm_unpackhi_epi16(ab_lo, cd_lo));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 32), _mm_unpacklo_epi16(ab_hi, cd_hi));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 48), _mm_unpackhi_epi16(ab_hi, cd_hi));
#else
  for (int n = 0; n < kPanelColumns; ++n) {
    for (int i = 0; i < kDepthGroup; ++i) out[n * kDepthGroup + i] = rows[i * stride + n];
  }
#endif
}

}  // namespace

void pack_conv_codes(const uint8_t* code_image, const Conv2dGeometry& g, int channel_begin, int channels,
                     PackedCodes* out) {
  const int out_h = g.out_height();
  const int out_w = g.out_width();
  out->resize(channels * g.kernel_h * g.kernel_w, out_h * out_w);
  // First the byte im2col, rows of all padded columns (runs copied whole), then each 4 rows
  // x 16 columns interleaved into the panel layout: two cheap passes instead of one byte
  // scatter, which cost more than the GEMM itself.
  const size_t row_bytes = static_cast<size_t>(out->panels) * kPanelColumns;
  std::vector<uint8_t>& rows = out->staging;
  rows.assign(row_bytes * out->groups * kDepthGroup, 0);
  int k = 0;
  for (int c = 0; c < channels; ++c) {
    const uint8_t* plane = code_image + static_cast<size_t>(channel_begin + c) * g.height * g.width;
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      for (int kw = 0; kw < g.kernel_w; ++kw, ++k) {
        uint8_t* row = rows.data() + static_cast<size_t>(k) * row_bytes;
        const int x_offset = kw * g.dilation_w - g.pad_w;
        // Output pixels whose input column is inside the image: [ow_begin, ow_end).
        int ow_begin = 0;
        while (ow_begin < out_w && ow_begin * g.stride_w + x_offset < 0) ++ow_begin;
        int ow_end = out_w;
        while (ow_end > ow_begin && (ow_end - 1) * g.stride_w + x_offset >= g.width) --ow_end;
        for (int oh = 0; oh < out_h; ++oh) {
          const int y = oh * g.stride_h + kh * g.dilation_h - g.pad_h;
          // Padding rows and columns: the zeroed codes stay.
          if (y < 0 || y >= g.height || ow_end == ow_begin) continue;
          const uint8_t* src = plane + static_cast<size_t>(y) * g.width;
          uint8_t* dst = row + static_cast<size_t>(oh) * out_w;
          if (g.stride_w == 1) {
            std::memcpy(dst + ow_begin, src + ow_begin + x_offset, ow_end - ow_begin);
          } else {
            for (int ow = ow_begin; ow < ow_end; ++ow) dst[ow] = src[ow * g.stride_w + x_offset];
          }
        }
      }
    }
  }
  const size_t panel_bytes = out->panel_bytes();
  const size_t group_bytes = static_cast<size_t>(kDepthGroup) * kPanelColumns;
  for (int group = 0; group < out->groups; ++group) {
    const uint8_t* group_rows = rows.data() + static_cast<size_t>(group) * kDepthGroup * row_bytes;
    for (int panel = 0; panel < out->panels; ++panel) {
      interleave_group(group_rows + panel * kPanelColumns, row_bytes,
                       out->data.data() + panel * panel_bytes + group * group_bytes);
    }
  }
}

void pack_matrix_codes(const uint8_t* x, int rows, int depth, PackedCodes* out) {
  out->resize(depth, rows);
  const size_t panel_bytes = out->panel_bytes();
  const size_t group_stride = static_cast<size_t>(kDepthGroup) * kPanelColumns;
  for (int r = 0; r < rows; ++r) {
    const uint8_t* src = x + static_cast<size_t>(r) * depth;
    uint8_t* column = out->data.data() + (r / kPanelColumns) * panel_bytes + (r % kPanelColumns) * kDepthGroup;
    int k = 0;
    for (; k + kDepthGroup <= depth; k += kDepthGroup) {
      std::memcpy(column + (k / kDepthGroup) * group_stride, src + k, kDepthGroup);
    }
    for (; k < depth; ++k) column[(k / kDepthGroup) * group_stride + k % kDepthGroup] = src[k];
  }
}

void code_sign_gemm_with(Isa isa, bool vnni, const PackedSigns& signs, const PackedCodes& codes, int32_t* c, size_t ldc,
                         bool parallel) {
  HWGQ_REQUIRE(signs.depth == codes.depth && signs.padded_depth == codes.groups * kDepthGroup,
               "code_sign_gemm: the signs have depth " << signs.depth << ", the codes " << codes.depth);
  HWGQ_REQUIRE(ldc >= static_cast<size_t>(codes.columns),
               "code_sign_gemm: ldc " << ldc << " is less than the " << codes.columns << " columns");
  const detail::CodeSignBlockFn fn = kernel_for(isa, vnni);
  const int row_blocks = (signs.rows + kRowBlock - 1) / kRowBlock;
  const int panel_blocks = (codes.panels + kPanelBlock - 1) / kPanelBlock;
  const int blocks = row_blocks * panel_blocks;
  const long long work = static_cast<long long>(signs.rows) * codes.columns * codes.depth;
  const size_t panel_bytes = codes.panel_bytes();
#pragma omp parallel for schedule(static) if (parallel && blocks > 1 && work >= kMinParallelWork)
  for (int b = 0; b < blocks; ++b) {
    // Panel blocks inner: neighbouring work items share their rows of signs.
    const int rb = b / panel_blocks;
    const int pb = b % panel_blocks;
    const int r0 = rb * kRowBlock;
    const int p0 = pb * kPanelBlock;
    detail::CodeSignBlock block;
    block.signs = signs.data.data() + static_cast<size_t>(r0) * signs.padded_depth;
    block.sign_stride = signs.padded_depth;
    block.rows = std::min(kRowBlock, signs.rows - r0);
    block.codes = codes.data.data() + p0 * panel_bytes;
    block.panel_bytes = panel_bytes;
    block.panels = std::min(kPanelBlock, codes.panels - p0);
    block.columns = std::min(kPanelBlock * kPanelColumns, codes.columns - p0 * kPanelColumns);
    block.groups = codes.groups;
    block.c = c + static_cast<size_t>(r0) * ldc + static_cast<size_t>(p0) * kPanelColumns;
    block.ldc = ldc;
    fn(block);
  }
}

bool code_sign_gemm_uses_vnni() { return active_isa() == Isa::kAvx512 && cpu_features().avx512vnni; }

void code_sign_gemm(const PackedSigns& signs, const PackedCodes& codes, int32_t* c, size_t ldc, bool parallel) {
  code_sign_gemm_with(active_isa(), code_sign_gemm_uses_vnni(), signs, codes, c, ldc, parallel);
}

void scale_rows(const int32_t* c, size_t ldc, int rows, int columns, const float* alphas, double scale,
                const float* bias, float* y, size_t y_row, size_t y_col) {
  for (int m = 0; m < rows; ++m) {
    const double factor = scale * static_cast<double>(alphas[m]);
    const float b = bias ? bias[m] : 0.f;
    const int32_t* src = c + static_cast<size_t>(m) * ldc;
    float* dst = y + static_cast<size_t>(m) * y_row;
    if (bias) {
      for (int n = 0; n < columns; ++n) dst[n * y_col] = static_cast<float>(factor * src[n]) + b;
    } else {
      for (int n = 0; n < columns; ++n) dst[n * y_col] = static_cast<float>(factor * src[n]);
    }
  }
}

}  // namespace hwgq::kernels
