// Which implementation runs a CPU float convolution pass (Convolution and
// BinaryConvolution): im2col + GEMM, always built, or oneDNN's blocked-layout primitives
// where the build has them (HWGQ_USE_DNNL). The environment variable HWGQ_CONV_ENGINE
// picks: "im2col" or "dnnl" forces one; "auto" (or unset) times both the first time a layer
// runs a pass on a new input shape and keeps the faster for that layer, pass and shape.
#pragma once

namespace hwgq {

enum class ConvEngine { Im2col, Dnnl };
enum class ConvEngineMode { Auto, Im2col, Dnnl };

// Whether this build can run convolutions through oneDNN.
bool conv_dnnl_available();

// HWGQ_CONV_ENGINE read now. Throws hwgq::Error on any other value, and on "dnnl" in a
// build without oneDNN.
ConvEngineMode conv_engine_mode();

const char* conv_engine_name(ConvEngine engine);

}  // namespace hwgq
