// Records what flows into chosen layers of a net over several batches: the
// pre-activations a Quant layer sees, for designing its quantizer from data (`hwgq
// quantizer --model`) and for plotting them against the half-wave Gaussian (`hwgq
// histogram`). Inputs are captured before the layer runs, so in-place layers are fine.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hwgq/net.hpp"

namespace hwgq {

// The names of the net's Quant layers, in order.
std::vector<std::string> quant_layer_names(const Net& net);

// Runs `iterations` forward passes and returns, per named layer, the values of its first
// bottom. At most max_samples values are kept per layer, spread evenly over the batches.
// An unknown layer name raises hwgq::Error listing the layers, and so does a Quant layer
// with a BatchNorm folded into it (build such nets with fuse_batch_norm_quant: false).
std::map<std::string, std::vector<float>> record_layer_inputs(Net& net, const std::vector<std::string>& layers,
                                                              int iterations, size_t max_samples = 1 << 20);

}  // namespace hwgq
