// The multiply-accumulates of one training iteration (forward and backward) of a built
// net, per dot-product layer: what the machine's FMA peak bounds (bench/fma_peak.cpp).
//
// Counting rules, on top of summarize_net's MACs per image (net_summary.hpp):
//  - forward: MACs per image x the layer's batch (its first top's first axis) for every
//    Convolution, BinaryConvolution, InnerProduct and BinaryInnerProduct layer. A binary
//    layer trains on float alpha * sign(W) weights, so its MACs are float MACs too;
//  - data gradient (top diff x weights -> bottom diff): as many MACs as forward, when the
//    layer runs backward and its first bottom needs a gradient (not, e.g., the first
//    convolution on the data);
//  - weight gradient (top diff x bottom data -> weight diff): as many MACs as forward,
//    when the layer runs backward and its weights take a gradient (lr_mult != 0);
//  - biases, and every other layer (pooling, batch norm, quantizers, losses, the update),
//    count 0: a few operations per value, bound by memory, not by FMA throughput.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwgq/net.hpp"

namespace hwgq {

struct LayerArithmetic {
  int layer = 0;  // index in Net::layers()
  std::string name;
  std::string type;
  int64_t forward_macs = 0;
  int64_t data_gradient_macs = 0;
  int64_t weight_gradient_macs = 0;

  int64_t backward_macs() const { return data_gradient_macs + weight_gradient_macs; }
};

struct TrainingArithmetic {
  std::vector<LayerArithmetic> layers;  // the dot-product layers, in net order

  int64_t forward_macs() const;
  int64_t backward_macs() const;
  int64_t macs() const { return forward_macs() + backward_macs(); }
  // One FMA is two floating-point operations.
  int64_t flops() const { return 2 * macs(); }
};

// The arithmetic of one forward + backward pass of `net` at the batch it was built with.
TrainingArithmetic count_training_arithmetic(const Net& net);

}  // namespace hwgq
