#include "hwgq/layers/conv_engine.hpp"

#include <cstdlib>
#include <string>

#include "hwgq/common.hpp"

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

}  // namespace hwgq
