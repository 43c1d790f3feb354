// Pass "integer_binary_forward": every BinaryConvolution / BinaryInnerProduct with
// use_binarization (and its integer_forward, default true) whose bottom is written by a
// Quant layer (hwgq forward, negative_slope 0, uniform centers q_j = j * q_1) -- directly or
// through Split layers, with no other layer writing the blob in between -- runs its CPU
// forward with the exact integer kernel (kernels/code_sign_gemm.hpp). Training and test
// nets alike: backward stays float. NetParameter's `integer_binary_forward: false` turns
// the pass off; each binary layer's choice is logged once.
#pragma once

#include "hwgq/net.hpp"

namespace hwgq {

// Returns the number of binary layers switched to the integer forward.
int integer_binary_forward(Net& net);

}  // namespace hwgq
