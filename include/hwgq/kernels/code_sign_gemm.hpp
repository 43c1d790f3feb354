// Exact integer product of binary weights and quantized activations (the forward of a
// BinaryConvolution / BinaryInnerProduct whose input is a Quant layer's output):
//   C[m][n] = sum_k S[m][k] * Q[k][n]      S in {-1, +1} (int8), Q = level codes (uint8)
// accumulated in int32, so every instruction set gives the same integers. The caller turns
// C into floats (alpha_m * step * C + bias, see scale_rows).
//
// Layouts (both padded with zeros, so the padding adds nothing to C):
//   PackedSigns: row m at data[m * row_stride]; padded_depth = depth rounded up to
//                kDepthGroup, row_stride = depth rounded up to kSignRowBytes, and rows
//                rounded up to kSignRowTile (zero rows), so that the AMX kernel reads whole
//                16 x 64-byte tiles.
//   PackedCodes: columns in panels of kPanelColumns; panel j holds depth groups of 4 codes
//                per column: code (k, n) at
//                data[((n / 16) * groups + k / 4) * 64 + (n % 16) * 4 + k % 4],
//                followed by kCodeSlackBytes zeros: the AMX kernel loads 16 groups at a
//                time, and the groups it reads past a panel's end meet zero signs.
// A 4-code group of one column is one 32-bit lane, the unit of vpmaddubsw + vpmaddwd and
// of vpdpbusd.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hwgq/kernels/cpu_features.hpp"
#include "hwgq/math/im2col.hpp"

namespace hwgq::kernels {

constexpr int kDepthGroup = 4;
constexpr int kPanelColumns = 16;
constexpr int kSignRowBytes = 64;
constexpr int kSignRowTile = 16;
constexpr int kCodeSlackBytes = 15 * kDepthGroup * kPanelColumns;
// The largest code the kernels accept: a code times a sign is a uint8 x int8 product, and
// vpmaddubsw adds two of them into int16: 2 * 255 * 1 cannot saturate, and the int32 sums
// cannot overflow while depth * kMaxCode < 2^31 (checked when packing).
constexpr int kMaxCode = 255;

struct PackedSigns {
  int rows = 0;
  int depth = 0;
  int padded_depth = 0;
  int row_stride = 0;
  std::vector<int8_t> data;
  // alpha per row: mean |W| over the row (use_alpha), else 1.
  std::vector<float> alphas;
};

struct PackedCodes {
  int depth = 0;
  int columns = 0;
  int groups = 0;  // padded depth / kDepthGroup
  int panels = 0;
  std::vector<uint8_t> data;
  // pack_conv_codes' staging rows, kept to reuse their allocation.
  std::vector<uint8_t> staging;
  size_t panel_bytes() const { return static_cast<size_t>(groups) * kDepthGroup * kPanelColumns; }
  // Sizes data for depth x columns and zeroes it.
  void resize(int depth, int columns);
  // The same, but leaves the panels as they are when the size does not change (for a
  // packer that writes every byte of them); the slack stays zero.
  void reshape(int depth, int columns);
};

// The map from an activation value to its code: value 0 -> 0, level j (j * step up to a
// tight rounding bound, checked by uniform_codes) -> j. Built from a Quant's centers.
struct LevelCodes {
  float step = 0.f;
  float inv_step = 0.f;
  // values[j] is the float whose code is j (values[0] = 0, then the centers).
  std::vector<float> values;
  int max_code() const { return static_cast<int>(values.size()) - 1; }
};

// LevelCodes for centers q_1 < ... < q_L when they are uniform, q_j = j * q_1 within a
// relative 2^-20 (a few float roundings); false when they are not (or L > kMaxCode).
bool uniform_codes(const std::vector<float>& centers, LevelCodes* codes);

// Binarizes rows x depth float weights and packs their signs in one pass: sign(w) with
// sign(0) = +1 and alpha = mean |w| per row (use_alpha) or 1, the definitions of
// binarize_rows. When `binarized` is not null it also receives alpha * sign(w) (what the
// float backward uses), bit for bit binarize_rows' output.
void pack_signs(const float* w, int rows, int depth, bool use_alpha, PackedSigns* out, float* binarized);

// Maps count activation values to their codes in one pass; false when some value is
// neither 0 nor a level (NaN, a negative value, or a Quant with other centers): the
// caller then keeps the float path for that forward.
bool map_codes(const float* x, size_t count, const LevelCodes& codes, uint8_t* out);

// Packs one image's im2col matrix of codes for channels [channel_begin, channel_begin +
// channels) of the code image (g.channels x height x width): depth = channels * kernel_h *
// kernel_w in im2col order, columns = output pixels; padding is code 0. No float im2col.
void pack_conv_codes(const uint8_t* code_image, const Conv2dGeometry& g, int channel_begin, int channels,
                     PackedCodes* out);
// Packs a rows x depth code matrix, row r becoming column r (inner product: C = W X^T).
void pack_matrix_codes(const uint8_t* x, int rows, int depth, PackedCodes* out);

// The inner loops code_sign_gemm can run, each needing an instruction set:
//   kScalar     portable reference
//   kAvx2       vpmaddubsw + vpmaddwd
//   kAvx512Bw   the same on zmm registers (AVX-512 BW)
//   kAvx512Vnni vpdpbusd (AVX-512 VNNI)
//   kAmxInt8    tdpbsud on 16 x 16 int32 tiles (AMX-INT8; the active instruction set avx512)
enum class CodeSignKernel { kScalar, kAvx2, kAvx512Bw, kAvx512Vnni, kAmxInt8 };
// "scalar", "avx2", "avx512bw", "avx512vnni", "amx-int8"; parse_code_sign_kernel is the
// inverse (hwgq::Error for any other name).
const char* code_sign_kernel_name(CodeSignKernel kernel);
CodeSignKernel parse_code_sign_kernel(const std::string& name);
// Whether this CPU (and OS) can run the kernel.
bool code_sign_kernel_supported(CodeSignKernel kernel);
// Every kernel this CPU runs, the reference first.
std::vector<CodeSignKernel> supported_code_sign_kernels();
// The kernel code_sign_gemm uses: HWGQ_CODE_SIGN_KERNEL=name when set (hwgq::Error when the
// CPU cannot run it or it needs a wider instruction set than the active one), else the
// fastest the active instruction set allows (avx512: AMX-INT8, else VNNI, else BW).
CodeSignKernel active_code_sign_kernel();

// C[m * ldc + n] = sum_k signs[m][k] * codes[k][n] for m < signs.rows, n < codes.columns,
// with the active kernel; `parallel` spreads row blocks and panels over OpenMP threads.
// Depths must agree.
void code_sign_gemm(const PackedSigns& signs, const PackedCodes& codes, int32_t* c, size_t ldc, bool parallel);
// The same with a given kernel (tests, benchmarks); hwgq::Error when the CPU cannot run it.
void code_sign_gemm_with(CodeSignKernel kernel, const PackedSigns& signs, const PackedCodes& codes, int32_t* c,
                         size_t ldc, bool parallel);

// y[m * y_row + n * y_col] = float(double(scale) * alpha_m * c[m * ldc + n]) + bias_m
// (bias may be null): the only rounding of the integer path.
void scale_rows(const int32_t* c, size_t ldc, int rows, int columns, const float* alphas, double scale,
                const float* bias, float* y, size_t y_row, size_t y_col);

}  // namespace hwgq::kernels
