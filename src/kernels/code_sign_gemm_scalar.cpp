// Portable reference of code_sign_gemm's block: plain loops over the packed operands.
#include "code_sign_gemm_kernels.hpp"

namespace hwgq::kernels::detail {

namespace {

void block_scalar(const CodeSignBlock& b) {
  for (int r = 0; r < b.rows; ++r) {
    const int8_t* s = b.signs + r * b.sign_stride;
    for (int n = 0; n < b.columns; ++n) {
      const uint8_t* panel = b.codes + (n / 16) * b.panel_bytes + (n % 16) * 4;
      int32_t sum = 0;
      for (int g = 0; g < b.groups; ++g) {
        const uint8_t* q = panel + g * 64;
        for (int i = 0; i < 4; ++i) sum += int32_t(s[g * 4 + i]) * int32_t(q[i]);
      }
      b.c[r * b.ldc + n] = sum;
    }
  }
}

}  // namespace

CodeSignBlockFn code_sign_scalar() { return block_scalar; }

}  // namespace hwgq::kernels::detail
