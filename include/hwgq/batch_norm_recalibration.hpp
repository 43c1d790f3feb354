// Re-estimating BatchNorm running statistics for the weights a net has now.
//
// A BatchNorm layer's test-time statistics are a moving average over the training batches
// before it, each taken under the weights of its own iteration. When the weights keep
// changing to the end, as binary weights do (a latent weight near zero flips the sign of
// its binary weight under any learning rate), that average belongs to no single set of
// weights and the test accuracy of the final snapshot drifts with it. Recalibration runs
// the training net forward over a number of batches with the weights frozen and replaces
// each layer's statistics by the equal-weight average of those batches' statistics.
#pragma once

#include "hwgq/net.hpp"

namespace hwgq {

// Runs `iterations` forward passes of `net` (which must be a TRAIN-phase net, so that its
// BatchNorm layers take batch statistics) and leaves in every BatchNorm layer that
// collects statistics the average over those passes. Layers with use_global_stats: true
// are left as they are. Returns the number of layers recalibrated. Weights are not
// touched; the data layers advance by `iterations` batches.
int recalibrate_batch_norm(Net& net, int iterations);

}  // namespace hwgq
