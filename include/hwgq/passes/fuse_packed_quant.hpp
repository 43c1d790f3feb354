// Pass "fuse_packed_quant" (after fold_batch_norm_quant): where a PackedBinaryConvolution
// or PackedBinaryInnerProduct feeds only a BatchNorm that is folded into the Quant after
// it, the packed layer computes that Quant's output itself, mapping each output to its code
// as it leaves the integer accumulators (kernels::OutputCodes). The chain packed layer +
// BatchNorm + Quant then runs as one step from popcounts to the next layer's levels.
#pragma once

#include "hwgq/net.hpp"

namespace hwgq {

// Returns the number of packed layers fused with their Quant.
int fuse_packed_quant(Net& net);

}  // namespace hwgq
