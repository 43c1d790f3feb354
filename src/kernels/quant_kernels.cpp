#include "hwgq/kernels/quant_kernels.hpp"

#include "hwgq/common.hpp"

namespace hwgq::kernels {

namespace detail {
// Null for an instruction set this build cannot compile (non-x86 hosts).
const QuantKernels* scalar_quant_kernels();
const QuantKernels* avx2_quant_kernels();
const QuantKernels* avx512_quant_kernels();
}  // namespace detail

const QuantKernels& quant_kernels(Isa isa) {
  HWGQ_REQUIRE(isa_supported(isa), "this CPU (" << cpu_feature_string() << ") cannot run the " << isa_name(isa)
                                                << " Quant kernels");
  const QuantKernels* k = nullptr;
  switch (isa) {
    case Isa::kScalar:
      k = detail::scalar_quant_kernels();
      break;
    case Isa::kAvx2:
      k = detail::avx2_quant_kernels();
      break;
    case Isa::kAvx512:
      k = detail::avx512_quant_kernels();
      break;
  }
  HWGQ_REQUIRE(k, "the " << isa_name(isa) << " Quant kernels are not part of this build");
  return *k;
}

const QuantKernels& quant_kernels() { return quant_kernels(active_isa()); }

}  // namespace hwgq::kernels
