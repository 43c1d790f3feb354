// A per-layer model summary (`hwgq summary`): output shapes, parameters, multiply-
// accumulates, weight and activation bits, and the memory of the parameters as float32
// and in the form `hwgq export` stores them (docs/packed_model.md), with totals and the
// share of MACs computed with 1-bit weights.
//
// Counting rules:
//  - parameters: every value in a layer's stored blobs (weights, bias, alpha is not a
//    blob; BatchNorm's mean, variance and normaliser count, as the .caffemodel holds them);
//  - MACs per image: a Convolution-like layer (Convolution, BinaryConvolution) makes
//    out_h * out_w * out_c outputs of (in_c / group) * k_h * k_w MACs each; an
//    InnerProduct-like layer (InnerProduct, BinaryInnerProduct) makes out outputs of `in`
//    MACs each. Every other layer (Pooling, BatchNorm, Scale, Eltwise, Quant, ReLU, ...)
//    counts 0: their work is a few operations per value, not a dot product;
//  - weight bits: 1 for a binary layer (use_binarization, the default), whose packed form
//    also stores one float alpha per output channel; 32 for every other layer with weights;
//    0 for a layer without weights;
//  - activation bits of a layer's first input: ceil(log2(K + 1)) when it is the output of
//    a Quant layer with K positive levels (0 is the (K+1)-th value; hwgq with 3 levels: 2
//    bits; sign: 1 bit), looking through the Split layers Net inserts; 32 otherwise;
//  - packed bytes: what `hwgq export` stores for the layer. A binary layer fed by a Quant
//    stores its sign bits in the padded PackedBinaryWeights layout (output channels in
//    blocks of 8 lanes, input channels in 64-bit words per kernel tap) + one float alpha
//    per output channel + float bias; a binary layer on a float input stores the same or,
//    when that is not smaller, its alpha * sign weights as floats; other layers stay
//    4 bytes a value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwgq/net.hpp"

namespace hwgq {

struct LayerSummary {
  std::string name;
  std::string type;
  std::vector<std::vector<int>> output_shapes;  // one per top, batch axis included
  int64_t params = 0;
  int64_t macs = 0;  // per image
  int weight_bits = 0;      // 0: no weights
  int activation_bits = 0;  // of the first input; 0: no input
  int64_t float_bytes = 0;   // params * 4
  int64_t packed_bytes = 0;  // as `hwgq export` stores them
  bool binary_weights = false;   // 1-bit weights
  bool quantized_input = false;  // fed by a Quant layer: popcount arithmetic once exported
};

struct NetSummary {
  std::string name;
  Phase phase = TEST;
  int batch = 0;  // the batch axis of the shapes (the first input's, 0 when unknown)
  std::vector<LayerSummary> layers;

  int64_t params() const;
  int64_t macs() const;
  int64_t binary_macs() const;     // in layers with 1-bit weights
  int64_t popcount_macs() const;   // of those, on a quantized input
  int64_t float_bytes() const;
  int64_t packed_bytes() const;
  // Percentages of macs(); 0 for a net without MACs.
  double binary_mac_share() const;
  double popcount_mac_share() const;

  // An aligned table, one row per layer, then the totals.
  std::string to_table() const;
  // The same as one JSON object: {"name", "phase", "batch", "layers": [...], "totals": {...}}.
  std::string to_json() const;
};

// The summary of a built net (shapes as it was built, so at its batch size).
NetSummary summarize_net(const Net& net);

}  // namespace hwgq
