#include "hwgq/passes/fuse_batch_norm_quant_training.hpp"

#include <glog/logging.h>

#include "hwgq/common.hpp"
#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "next_reader.hpp"

namespace hwgq {

int fuse_batch_norm_quant_training(Net& net) {
  if (!net.definition().fuse_batch_norm_quant()) return 0;
  const int n = static_cast<int>(net.layers().size());
  int fused = 0;
  for (int i = 0; i < n; ++i) {
    auto* bn = dynamic_cast<BatchNormLayer*>(net.layers()[i].get());
    if (!bn || bn->normalized_by_reader() || bn->folded_into_next()) continue;
    const std::string& name = net.layer_names()[i];
    auto skip = [&](const std::string& why) {
      LOG(INFO) << "BatchNorm \"" << name << "\" not fused with its reader for training: " << why;
    };
    if (bn->use_global_stats()) {
      skip("it uses global statistics");
      continue;
    }
    if (bn->sync_across_replicas()) {
      skip("its statistics are synchronized across replicas");
      continue;
    }
    if (Context::get().mode() == Mode::GPU) {
      skip("the net runs on the GPU, where the layers run separately");
      continue;
    }
    const int reader = passes_detail::next_reader(net, i);
    if (reader < 0) {
      skip("its output is an output of the net");
      continue;
    }
    auto* quant = dynamic_cast<QuantLayer*>(net.layers()[reader].get());
    if (!quant) {
      skip("its output is read by \"" + net.layer_names()[reader] + "\" (" + net.layers()[reader]->type() +
           "), not a Quant layer" + (net.layers()[reader]->type() == std::string("Split") ? " (it has several readers)" : ""));
      continue;
    }
    if (quant->fused() || quant->fused_for_training()) {
      skip("Quant \"" + net.layer_names()[reader] + "\" is fused with a BatchNorm already");
      continue;
    }
    quant->fuse_batch_norm_for_training(bn, net.bottom_vecs(i)[0]);
    ++fused;
    const bool in_place = net.bottom_ids(i)[0] == net.top_ids(i)[0];
    LOG(INFO) << "BatchNorm \"" << name << "\" fused with Quant \"" << net.layer_names()[reader]
              << "\" for training: \"" << net.blob_names()[net.top_ids(i)[0]] << "\" "
              << (in_place ? "holds the un-normalised input" : "is not written");
  }
  return fused;
}

}  // namespace hwgq
