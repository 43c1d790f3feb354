// Packing, blocking and threading of code_sign_gemm; the inner loops come from the active
// instruction set (code_sign_gemm_kernels.hpp).
#include "hwgq/kernels/code_sign_gemm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "code_sign_gemm_kernels.hpp"
#include "hwgq/common.hpp"
#include "hwgq/quant/binarize.hpp"

namespace hwgq::kernels {

namespace {

// Rows and panels per work item: a multiple of every kernel's tile height (4, 6 and AMX's
// 16) and of its panel pair; a block's codes (4 panels x depth x 16 bytes) stay in L2 while its
// rows stream past.
constexpr int kRowBlock = 96;
constexpr int kPanelBlock = 4;
// Below this many multiply-adds a block runs on the calling thread alone.
constexpr long long kMinParallelWork = 1 << 20;

// Every kernel, slowest first within each instruction set: its name, the instruction set
// that must be the active one, and its block function (null where this build cannot compile
// it).
struct KernelInfo {
  CodeSignKernel kernel;
  const char* name;
  Isa isa;
  detail::CodeSignBlockFn (*block)();
};
constexpr KernelInfo kKernels[] = {
    {CodeSignKernel::kScalar, "scalar", Isa::kScalar, detail::code_sign_scalar},
    {CodeSignKernel::kAvx2, "avx2", Isa::kAvx2, detail::code_sign_avx2},
    {CodeSignKernel::kAvx512Bw, "avx512bw", Isa::kAvx512, detail::code_sign_avx512bw},
    {CodeSignKernel::kAvx512Vnni, "avx512vnni", Isa::kAvx512, detail::code_sign_avx512vnni},
    {CodeSignKernel::kAmxInt8, "amx-int8", Isa::kAvx512, detail::code_sign_amx_int8},
};

const KernelInfo& info(CodeSignKernel kernel) {
  for (const KernelInfo& k : kKernels) {
    if (k.kernel == kernel) return k;
  }
  HWGQ_FAIL("unknown code x sign kernel " << static_cast<int>(kernel));
}

detail::CodeSignBlockFn kernel_for(CodeSignKernel kernel) {
  HWGQ_REQUIRE(code_sign_kernel_supported(kernel), "this CPU (" << cpu_feature_string() << ") cannot run the "
                                                                << code_sign_kernel_name(kernel) << " code x sign kernel");
  const detail::CodeSignBlockFn fn = info(kernel).block();
  HWGQ_REQUIRE(fn, "the " << code_sign_kernel_name(kernel) << " code x sign kernel is not part of this build");
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
  data.assign(panel_bytes() * panels + kCodeSlackBytes, 0);
}

void PackedCodes::reshape(int new_depth, int new_columns) {
  if (new_depth == depth && new_columns == columns && !data.empty()) return;
  resize(new_depth, new_columns);
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
  out->row_stride = static_cast<int>(round_up(depth, kSignRowBytes));
  out->data.assign(round_up(rows, kSignRowTile) * out->row_stride, 0);
  out->alphas.resize(rows);
#pragma omp parallel for if (static_cast<long long>(rows) * depth > (1 << 16))
  for (int i = 0; i < rows; ++i) {
    const float* row = w + static_cast<size_t>(i) * depth;
    int8_t* signs = out->data.data() + static_cast<size_t>(i) * out->row_stride;
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

namespace {

// The leading multiple of 16 values of map_codes for codes 0..3 (the 2-bit quantizer and
// narrower), with SSE2 (part of every x86-64 CPU): the exact level of each code comes from
// three compares and selects instead of a table lookup, which would be a gather per value.
// Returns how many values it mapped (0 without SSE2, or with more codes) and clears *ok
// when one of them is neither 0 nor a level.
constexpr int kSelectCodes = 4;

size_t map_few_codes_sse2(const float* x, size_t count, const LevelCodes& codes, uint8_t* out, bool* ok) {
  size_t i = 0;
#ifdef __SSE2__
  const int max_code = codes.max_code();
  if (max_code >= kSelectCodes) return 0;
  float values[kSelectCodes];
  for (int j = 0; j < kSelectCodes; ++j) values[j] = codes.values[std::min(j, max_code)];
  const __m128 inv = _mm_set1_ps(codes.inv_step), half = _mm_set1_ps(0.5f), zero = _mm_setzero_ps();
  const __m128 limit = _mm_set1_ps(static_cast<float>(max_code) + 1.f);
  __m128i all_ok = _mm_set1_epi32(-1);
  // One 4-value step: the codes as int32 (0 where out of range) and the exactness check
  // folded into all_ok.
  auto four = [&](const float* p) {
    const __m128 v = _mm_loadu_ps(p);
    const __m128 t = _mm_add_ps(_mm_mul_ps(v, inv), half);
    const __m128 in_range = _mm_and_ps(_mm_cmpge_ps(t, zero), _mm_cmplt_ps(t, limit));
    const __m128i c = _mm_and_si128(_mm_cvttps_epi32(t), _mm_castps_si128(in_range));
    __m128 level = _mm_set1_ps(values[0]);
    for (int j = 1; j < kSelectCodes; ++j) {
      const __m128 is_j = _mm_castsi128_ps(_mm_cmpeq_epi32(c, _mm_set1_epi32(j)));
      level = _mm_or_ps(_mm_and_ps(is_j, _mm_set1_ps(values[j])), _mm_andnot_ps(is_j, level));
    }
    all_ok = _mm_and_si128(all_ok, _mm_castps_si128(_mm_and_ps(in_range, _mm_cmpeq_ps(level, v))));
    return c;
  };
  for (; i + 16 <= count; i += 16) {
    const __m128i c0 = four(x + i), c1 = four(x + i + 4), c2 = four(x + i + 8), c3 = four(x + i + 12);
    const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(c0, c1), _mm_packs_epi32(c2, c3));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), bytes);
  }
  if (_mm_movemask_epi8(all_ok) != 0xFFFF) *ok = false;
#else
  (void)x, (void)count, (void)codes, (void)out, (void)ok;
#endif
  return i;
}

}  // namespace

bool map_codes(const float* x, size_t count, const LevelCodes& codes, uint8_t* out) {
  bool ok = true;
  const size_t mapped = map_few_codes_sse2(x, count, codes, out, &ok);
  const float inv = codes.inv_step;
  const float limit = static_cast<float>(codes.max_code()) + 1.f;
  const float* values = codes.values.data();
  for (size_t i = mapped; i < count; ++i) {
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

namespace {

// Writes the im2col row of kernel tap (kh, kw) of one channel plane, out_h * out_w codes,
// into `row`, which holds zeros (the padding's code).
void fill_tap_row(const uint8_t* plane, const Conv2dGeometry& g, int kh, int kw, uint8_t* row) {
  const int out_h = g.out_height();
  const int out_w = g.out_width();
  const int x_offset = kw * g.dilation_w - g.pad_w;
  const int y_offset = kh * g.dilation_h - g.pad_h;
  // Output pixels whose input column is inside the image: [ow_begin, ow_end).
  int ow_begin = 0;
  while (ow_begin < out_w && ow_begin * g.stride_w + x_offset < 0) ++ow_begin;
  int ow_end = out_w;
  while (ow_end > ow_begin && (ow_end - 1) * g.stride_w + x_offset >= g.width) --ow_end;
  if (ow_end == ow_begin) return;
  if (g.stride_w == 1 && g.stride_h == 1 && out_w == g.width) {
    // A "same" convolution: output rows [oh_begin, oh_end) read input rows that follow each
    // other at the same width, so the tap's row is one copy of a run of the plane shifted by
    // x_offset; the |x_offset| columns per row that the copy carried over from a
    // neighbouring row are set back to 0.
    const int oh_begin = std::max(0, -y_offset);
    const int oh_end = std::min(out_h, g.height - y_offset);
    if (oh_end <= oh_begin) return;
    const size_t begin = static_cast<size_t>(oh_begin) * out_w;
    const size_t length = static_cast<size_t>(oh_end - oh_begin) * out_w;
    const uint8_t* src = plane + static_cast<size_t>(oh_begin + y_offset) * g.width;
    // The run's first (x_offset < 0) or last (x_offset > 0) bytes would read outside it.
    const size_t skip_front = x_offset < 0 ? static_cast<size_t>(-x_offset) : 0;
    const size_t skip_back = x_offset > 0 ? static_cast<size_t>(x_offset) : 0;
    if (length > skip_front + skip_back) {
      std::memcpy(row + begin + skip_front, src + skip_front + x_offset, length - skip_front - skip_back);
    }
    for (int oh = oh_begin; oh < oh_end; ++oh) {
      uint8_t* out_row = row + static_cast<size_t>(oh) * out_w;
      for (int ow = 0; ow < ow_begin; ++ow) out_row[ow] = 0;
      for (int ow = ow_end; ow < out_w; ++ow) out_row[ow] = 0;
    }
    return;
  }
  for (int oh = 0; oh < out_h; ++oh) {
    const int y = oh * g.stride_h + y_offset;
    if (y < 0 || y >= g.height) continue;
    const uint8_t* src = plane + static_cast<size_t>(y) * g.width;
    uint8_t* dst = row + static_cast<size_t>(oh) * out_w;
    if (g.stride_w == 1) {
      std::memcpy(dst + ow_begin, src + ow_begin + x_offset, ow_end - ow_begin);
    } else {
      for (int ow = ow_begin; ow < ow_end; ++ow) dst[ow] = src[ow * g.stride_w + x_offset];
    }
  }
}

}  // namespace

void pack_conv_codes(const uint8_t* code_image, const Conv2dGeometry& g, int channel_begin, int channels,
                     PackedCodes* out) {
  const int taps = g.kernel_h * g.kernel_w;
  const int depth = channels * taps;
  out->reshape(depth, g.out_height() * g.out_width());
  // Per depth group: the byte im2col rows of its 4 taps (whole runs copied, in a 4-row
  // staging area that stays in L1), then each 16 columns of them interleaved into the
  // panel layout. Every byte of the panels is written once, the staging area's zeros
  // giving the padding, the missing taps of a last partial group and the columns past the
  // last pixel.
  const size_t row_bytes = static_cast<size_t>(out->panels) * kPanelColumns;
  std::vector<uint8_t>& rows = out->staging;
  rows.resize(row_bytes * kDepthGroup);
  const size_t panel_bytes = out->panel_bytes();
  const size_t group_bytes = static_cast<size_t>(kDepthGroup) * kPanelColumns;
  for (int group = 0; group < out->groups; ++group) {
    std::memset(rows.data(), 0, rows.size());
    for (int i = 0; i < kDepthGroup; ++i) {
      const int k = group * kDepthGroup + i;
      if (k >= depth) break;
      const int c = k / taps;
      const int tap = k % taps;
      const uint8_t* plane = code_image + static_cast<size_t>(channel_begin + c) * g.height * g.width;
      fill_tap_row(plane, g, tap / g.kernel_w, tap % g.kernel_w, rows.data() + i * row_bytes);
    }
    for (int panel = 0; panel < out->panels; ++panel) {
      interleave_group(rows.data() + panel * kPanelColumns, row_bytes,
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

void code_sign_gemm_with(CodeSignKernel kernel, const PackedSigns& signs, const PackedCodes& codes, int32_t* c,
                         size_t ldc, bool parallel) {
  HWGQ_REQUIRE(signs.depth == codes.depth && signs.padded_depth == codes.groups * kDepthGroup,
               "code_sign_gemm: the signs have depth " << signs.depth << ", the codes " << codes.depth);
  HWGQ_REQUIRE(ldc >= static_cast<size_t>(codes.columns),
               "code_sign_gemm: ldc " << ldc << " is less than the " << codes.columns << " columns");
  const detail::CodeSignBlockFn fn = kernel_for(kernel);
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
    block.signs = signs.data.data() + static_cast<size_t>(r0) * signs.row_stride;
    block.sign_stride = signs.row_stride;
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

const char* code_sign_kernel_name(CodeSignKernel kernel) { return info(kernel).name; }

CodeSignKernel parse_code_sign_kernel(const std::string& name) {
  for (const KernelInfo& k : kKernels) {
    if (name == k.name) return k.kernel;
  }
  HWGQ_FAIL("unknown code x sign kernel \"" << name << "\"; known: scalar, avx2, avx512bw, avx512vnni, amx-int8");
}

bool code_sign_kernel_supported(CodeSignKernel kernel) {
  if (!isa_supported(info(kernel).isa)) return false;
  const CpuFeatures& f = cpu_features();
  if (kernel == CodeSignKernel::kAvx512Vnni) return f.avx512vnni;
  if (kernel == CodeSignKernel::kAmxInt8) return f.amx_int8;
  return true;
}

std::vector<CodeSignKernel> supported_code_sign_kernels() {
  std::vector<CodeSignKernel> kernels;
  for (const KernelInfo& k : kKernels) {
    if (code_sign_kernel_supported(k.kernel)) kernels.push_back(k.kernel);
  }
  return kernels;
}

CodeSignKernel active_code_sign_kernel() {
  const Isa isa = active_isa();
  static const char* const wanted = std::getenv("HWGQ_CODE_SIGN_KERNEL");
  if (wanted && *wanted) {
    const CodeSignKernel kernel = parse_code_sign_kernel(wanted);
    HWGQ_REQUIRE(code_sign_kernel_supported(kernel), "HWGQ_CODE_SIGN_KERNEL=" << wanted << " but this CPU ("
                                                                               << cpu_feature_string()
                                                                               << ") cannot run it");
    HWGQ_REQUIRE(static_cast<int>(info(kernel).isa) <= static_cast<int>(isa),
                 "HWGQ_CODE_SIGN_KERNEL=" << wanted << " needs the " << isa_name(info(kernel).isa)
                                          << " instruction set, but the active one is " << isa_name(isa));
    return kernel;
  }
  // The fastest the active instruction set has: kKernels lists each set's kernels slowest
  // first.
  for (auto k = std::rbegin(kKernels); k != std::rend(kKernels); ++k) {
    if (k->isa == isa && code_sign_kernel_supported(k->kernel)) return k->kernel;
  }
  return CodeSignKernel::kScalar;
}

void code_sign_gemm(const PackedSigns& signs, const PackedCodes& codes, int32_t* c, size_t ldc, bool parallel) {
  code_sign_gemm_with(active_code_sign_kernel(), signs, codes, c, ldc, parallel);
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
