#include "hwgq/passes/fuse_packed_quant.hpp"

#include <glog/logging.h>

#include <algorithm>

#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/packed_binary_convolution_layer.hpp"
#include "hwgq/layers/packed_binary_inner_product_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"

namespace hwgq {

namespace {

// The first layer after `layer` that reads blob `blob` (Split layers give a value at most
// one reader), or -1.
int reader_after(const Net& net, int layer, int blob) {
  for (int j = layer + 1; j < static_cast<int>(net.layers().size()); ++j) {
    const auto& bottoms = net.bottom_ids(j);
    if (std::find(bottoms.begin(), bottoms.end(), blob) != bottoms.end()) return j;
  }
  return -1;
}

}  // namespace

int fuse_packed_quant(Net& net) {
  int fused = 0;
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    Layer* layer = net.layers()[i].get();
    auto* conv = dynamic_cast<PackedBinaryConvolutionLayer*>(layer);
    auto* ip = dynamic_cast<PackedBinaryInnerProductLayer*>(layer);
    if (!conv && !ip) continue;
    const int bn_at = reader_after(net, i, net.top_ids(i)[0]);
    if (bn_at < 0) continue;
    auto* bn = dynamic_cast<BatchNormLayer*>(net.layers()[bn_at].get());
    if (!bn || !bn->folded_into_next()) continue;
    // A folded BatchNorm's one reader is the Quant it is folded into.
    const int quant_at = reader_after(net, bn_at, net.top_ids(bn_at)[0]);
    if (quant_at < 0) continue;
    auto* quant = dynamic_cast<QuantLayer*>(net.layers()[quant_at].get());
    // The Quant reads the packed layer's output through the folded BatchNorm.
    if (!quant || quant->fused_input() != net.top_vecs(i)[0]) continue;
    Blob* output = net.top_vecs(quant_at)[0];
    if (conv) {
      conv->set_output_quant(quant, output);
    } else {
      ip->set_output_quant(quant, output);
    }
    ++fused;
    LOG(INFO) << "\"" << net.layer_names()[i] << "\" computes Quant \"" << net.layer_names()[quant_at]
              << "\"'s output from its accumulators";
  }
  return fused;
}

}  // namespace hwgq
