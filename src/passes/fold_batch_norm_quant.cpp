#include "hwgq/passes/fold_batch_norm_quant.hpp"

#include <glog/logging.h>

#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "next_reader.hpp"

namespace hwgq {

int fold_batch_norm_quant(Net& net) {
  if (net.phase() != TEST || net.force_backward() || !net.definition().fuse_batch_norm_quant()) return 0;
  const int n = static_cast<int>(net.layers().size());
  int folded = 0;
  for (int i = 0; i < n; ++i) {
    auto* bn = dynamic_cast<BatchNormLayer*>(net.layers()[i].get());
    if (!bn || !bn->use_global_stats() || bn->folded_into_next()) continue;
    const int blob = net.top_ids(i)[0];
    const int reader = passes_detail::next_reader(net, i);
    if (reader < 0) continue;  // the BatchNorm output is an output of the net
    auto* quant = dynamic_cast<QuantLayer*>(net.layers()[reader].get());
    if (!quant || quant->fused() || quant->fused_for_training()) continue;
    // Nothing writes BatchNorm's input between the two layers: in place it is the blob only
    // the Quant reads next; otherwise BatchNorm was its one reader.
    quant->fuse_batch_norm(bn, net.bottom_vecs(i)[0]);
    bn->set_folded_into_next(true);
    net.set_forward_only(i);
    net.set_forward_only(reader);
    ++folded;
    const bool in_place = net.bottom_ids(i)[0] == blob;
    LOG(INFO) << "BatchNorm \"" << net.layer_names()[i] << "\" folded into Quant \"" << net.layer_names()[reader]
              << "\" for inference: \"" << net.blob_names()[blob] << "\" "
              << (in_place ? "holds the un-normalised input" : "is not written");
  }
  return folded;
}

}  // namespace hwgq
