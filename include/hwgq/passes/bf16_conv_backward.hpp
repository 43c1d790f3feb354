// Pass "bf16_conv_backward": every Convolution and BinaryConvolution layer of the net runs
// its CPU backward passes (bottom and weight gradients) in bfloat16 on oneDNN
// (ConvolutionLayer::set_backward_precision): their inputs rounded to bfloat16, their
// gradients float. The solver applies it to its training net when SolverParameter's
// backward_precision is BF16. The choice is a pass rather than a process-wide setting
// (like Context's mode) because it belongs to one net: a second solver or a net driven
// from Python in the same thread keeps float backward passes unless it asks too.
//
// Where conv_bf16_backward_available() is false (no oneDNN, or a CPU without AVX512_BF16),
// the pass logs a warning (once per process) and changes nothing, so that one solver file
// trains on every machine, in float where bfloat16 is missing.
#pragma once

#include "hwgq/net.hpp"

namespace hwgq {

// Returns the number of layers switched to bfloat16 backward passes.
int bf16_conv_backward(Net& net);

}  // namespace hwgq
