// Lowering to packed layers (`hwgq export`): every BinaryConvolution / BinaryInnerProduct
// whose input is the output of a Quant layer with the hwgq forward (paper 1.2) becomes a
// PackedBinaryConvolution / PackedBinaryInnerProduct holding sign bits and per-channel
// alpha (paper 1.1) instead of float weights. A binary layer with a float input (e.g. on
// raw pixels) becomes a plain layer whose weights are still stored as sign bits. Everything else (the first and last layers,
// which the paper keeps in full precision, BatchNorm, pooling, ...) keeps its float weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwgq/kernels/packed_types.hpp"
#include "hwgq/net.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

// One row of the size report: a layer with weights.
struct PackedLayerReport {
  std::string name;
  std::string type;        // the type in the lowered net
  int64_t float_bytes = 0;  // its weights as float32
  int64_t stored_bytes = 0;  // as stored in the packed model
  int64_t macs = 0;        // multiply-accumulates per image
  bool packed = false;    // weights stored as sign bits
  bool popcount = false;  // computed on packed bits (a quantized input)
};

struct PackedModelReport {
  std::vector<PackedLayerReport> layers;
  int64_t float_bytes() const;
  int64_t stored_bytes() const;
  int64_t macs() const;
  int64_t packed_macs() const;  // MACs of the layers that compute on packed bits
  int64_t packed_float_bytes() const;  // the packed layers' weights as float32
  int64_t packed_stored_bytes() const;
  int packed_layers() const;
  // A table, one line per layer, then the totals.
  std::string to_text() const;
};

// `deploy` is the prototxt, `trained` a TEST net built from it with its weights loaded.
// Raises hwgq::Error naming the layer for a binary layer that cannot be packed (fed by a
// Quant whose forward is not hwgq, or whose negative_slope is not 0, so that code 0 would
// not be the value 0 that zero padding gives; a transposed inner product).
PackedModelProto lower_to_packed(const NetParameter& deploy, Net& trained, PackedModelReport* report = nullptr);

// Packed weights to and from their file form. from_proto checks every size (bits and
// alphas agree with the dimensions) and names `origin` on a mismatch.
PackedBinaryWeightsProto packed_weights_to_proto(const kernels::PackedBinaryWeights& weights, const std::string& layer);
kernels::PackedBinaryWeights packed_weights_from_proto(const PackedBinaryWeightsProto& proto, const std::string& origin);
// The float weights alpha_o * sign(W[o,:]) (paper 1.1) as out x in x kh x kw, for a layer
// whose input is not quantized.
void expand_binary_weights(const kernels::PackedBinaryWeights& weights, float* out);

}  // namespace hwgq
