// The per-instruction-set inner loops of code_sign_gemm (private to src/kernels).
// code_sign_gemm.cpp owns packing, blocking and threading; an instruction set computes one
// block of C from the packed operands. Integer sums: every path gives the same C.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hwgq::kernels::detail {

// C[m * ldc + n] for rows [0, rows) of `signs` (row r at signs + r * sign_stride) and the
// columns of `panels` panels (panel j at codes + j * panel_bytes), of which only the first
// `columns` are stored. groups = padded depth / 4. The block starts at a multiple of 16
// rows of the packed signs (whose rows and row stride have AMX's padding).
struct CodeSignBlock {
  const int8_t* signs;
  size_t sign_stride;
  int rows;
  const uint8_t* codes;
  size_t panel_bytes;
  int panels;
  int columns;
  int groups;
  int32_t* c;
  size_t ldc;
};
using CodeSignBlockFn = void (*)(const CodeSignBlock&);

// Stores a rows x (16 * panels) tile held in `tile` (row stride 32) into C, the first
// `columns` columns only.
inline void store_tile(const int32_t* tile, int rows, int columns, int32_t* c, size_t ldc) {
  for (int r = 0; r < rows; ++r) {
    for (int n = 0; n < columns; ++n) c[r * ldc + n] = tile[r * 32 + n];
  }
}

// Null for an instruction set this build cannot compile (non-x86 hosts).
CodeSignBlockFn code_sign_scalar();
CodeSignBlockFn code_sign_avx2();
CodeSignBlockFn code_sign_avx512bw();
CodeSignBlockFn code_sign_avx512vnni();
CodeSignBlockFn code_sign_amx_int8();

}  // namespace hwgq::kernels::detail
