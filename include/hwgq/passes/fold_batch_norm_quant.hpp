// Pass "fold_batch_norm_quant": in a TEST net that does not force backward, each BatchNorm
// with global statistics whose one reader is a Quant layer is folded into that Quant, which
// then normalises and quantizes in one pass over BatchNorm's input (docs/layers/quant.md,
// "Fused with BatchNorm"). Both layers become forward-only. NetParameter's
// `fuse_batch_norm_quant: false` turns the pass off for that net.
#pragma once

#include "hwgq/net.hpp"

namespace hwgq {

// Returns the number of BatchNorm layers folded.
int fold_batch_norm_quant(Net& net);

}  // namespace hwgq
