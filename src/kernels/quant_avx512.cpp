// The Quant layer's block loops compiled for AVX-512 (no FMA: nothing may be fused), used
// only when the CPU has it.
#include "hwgq/kernels/quant_kernels.hpp"

#if defined(__x86_64__)
#define HWGQ_QUANT_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#include "quant_blocks.inl"

namespace hwgq::kernels::detail {
const QuantKernels* avx512_quant_kernels() { return &kQuantBlocks; }
}  // namespace hwgq::kernels::detail
#else
namespace hwgq::kernels::detail {
const QuantKernels* avx512_quant_kernels() { return nullptr; }
}  // namespace hwgq::kernels::detail
#endif
