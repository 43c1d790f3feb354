// The Quant layer's block loops in portable C++: the reference the other instruction
// sets are tested against.
#include "hwgq/kernels/quant_kernels.hpp"

#define HWGQ_QUANT_TARGET
#include "quant_blocks.inl"

namespace hwgq::kernels::detail {
const QuantKernels* scalar_quant_kernels() { return &kQuantBlocks; }
}  // namespace hwgq::kernels::detail
