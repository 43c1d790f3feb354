// Pass "fuse_batch_norm_quant_training": each BatchNorm with batch statistics (training)
// whose one reader is a Quant layer runs together with that Quant on the CPU
// (docs/layers/quant.md, "Fused with BatchNorm"): forward takes the statistics, then one
// pass normalises, keeps the normalised values for backward and quantizes; backward makes
// the Quant's masked gradient row by row inside BatchNorm's two passes (per-channel sums,
// then the input gradient) instead of writing it to a blob. Outputs, gradients and running
// statistics are the unfused ones bit for bit. The solver applies it to its training net.
//
// Left unfused, with the reason logged: a BatchNorm with global statistics (the inference
// pass fold_batch_norm_quant's case), one synchronized across replicas, one whose output
// has another reader (a Split) or a non-Quant reader (Scale, ReLU, ...), and every pair
// while the context is in GPU mode (the GPU passes run the separate layers).
// NetParameter's `fuse_batch_norm_quant: false` turns it off, as it does the inference fold.
#pragma once

#include "hwgq/net.hpp"

namespace hwgq {

// Returns the number of BatchNorm + Quant pairs fused.
int fuse_batch_norm_quant_training(Net& net);

}  // namespace hwgq
