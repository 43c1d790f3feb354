#include "hwgq/layers/conv_engine.hpp"

#include <cstdlib>
#include <string>

#include "hwgq/common.hpp"

#ifdef HWGQ_WITH_DNNL
#include <dnnl.hpp>
#endif

namespace hwgq {

bool conv_dnnl_available() {
#ifdef HWGQ_WITH_DNNL
  return true;
#else
  return false;
#endif
}

ConvEngineMode conv_engine_mode() {
  const char* value = std::getenv("HWGQ_CONV_ENGINE");
  if (!value || !*value) return ConvEngineMode::Auto;
  const std::string v = value;
  if (v == "im2col") return ConvEngineMode::Im2col;
  if (v == "dnnl") {
    HWGQ_REQUIRE(conv_dnnl_available(),
                 "HWGQ_CONV_ENGINE=dnnl, but this build has no oneDNN (install libdnnl-dev and configure with "
                 "-DHWGQ_USE_DNNL=ON)");
    return ConvEngineMode::Dnnl;
  }
  HWGQ_REQUIRE(v == "auto", "HWGQ_CONV_ENGINE must be im2col, dnnl or auto, got \"" << v << "\"");
  return ConvEngineMode::Auto;
}

const char* conv_engine_name(ConvEngine engine) { return engine == ConvEngine::Dnnl ? "oneDNN" : "im2col"; }

bool conv_bf16_backward_available(std::string* why) {
#ifdef HWGQ_WITH_DNNL
  // oneDNN's ISA values are bit sets, each including the ISAs below it: avx512_core_amx
  // (Sapphire Rapids) contains avx512_core_bf16 (Cooper Lake, Zen 4); avx2_vnni does not.
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  if ((isa & bf16) == bf16) return true;
  if (why) {
    *why = "oneDNN's CPU ISA here is below avx512_core_bf16 (no AVX512_BF16 instructions, or ONEDNN_MAX_CPU_ISA "
           "caps it)";
  }
  return false;
#else
  if (why) *why = "this build has no oneDNN (install libdnnl-dev and configure with -DHWGQ_USE_DNNL=ON)";
  return false;
#endif
}

}  // namespace hwgq
