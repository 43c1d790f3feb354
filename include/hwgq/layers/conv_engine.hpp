// Which implementation runs a CPU float convolution pass (Convolution and
// BinaryConvolution): im2col + GEMM, always built, or oneDNN's blocked-layout primitives
// where the build has them (HWGQ_USE_DNNL). The environment variable HWGQ_CONV_ENGINE
// picks: "im2col" or "dnnl" forces one; "auto" (or unset) times both the first time a layer
// runs a pass on a new input shape and keeps the faster for that layer, pass and shape.
//
// The backward passes may instead run in bfloat16 (ConvBackwardPrecision, set per layer by
// the pass "bf16_conv_backward"): always on oneDNN, whatever HWGQ_CONV_ENGINE says.
#pragma once

#include <string>

namespace hwgq {

enum class ConvEngine { Im2col, Dnnl };
enum class ConvEngineMode { Auto, Im2col, Dnnl };

// Whether this build can run convolutions through oneDNN.
bool conv_dnnl_available();

// HWGQ_CONV_ENGINE read now. Throws hwgq::Error on any other value, and on "dnnl" in a
// build without oneDNN.
ConvEngineMode conv_engine_mode();

const char* conv_engine_name(ConvEngine engine);

// What the backward-data and backward-weights passes of a CPU convolution read. Float32:
// the float blobs. BFloat16: the top gradient, weights and bottom rounded to bfloat16
// (round to nearest even, by oneDNN reorders), multiplied on the CPU's bfloat16 dot-product
// instructions and summed in float; the gradients they write stay float.
enum class ConvBackwardPrecision { Float32, BFloat16 };

// Whether this process can run ConvBackwardPrecision::BFloat16: a build with oneDNN whose
// effective ISA has the AVX512_BF16 instructions (oneDNN's avx512_core_bf16, or
// avx512_core_amx which includes it; ONEDNN_MAX_CPU_ISA can lower it). Without them oneDNN
// would emulate bfloat16 arithmetic, slower than float. When not, `why` (if given) says
// what is missing.
bool conv_bf16_backward_available(std::string* why = nullptr);

}  // namespace hwgq
