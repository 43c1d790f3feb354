#include "hwgq/analysis/activation_recorder.hpp"

#include <algorithm>

#include "hwgq/layers/quant_layer.hpp"

namespace hwgq {

std::vector<std::string> quant_layer_names(const Net& net) {
  std::vector<std::string> names;
  for (size_t i = 0; i < net.layers().size(); ++i) {
    if (std::string(net.layers()[i]->type()) == "Quant") names.push_back(net.layer_names()[i]);
  }
  return names;
}

std::map<std::string, std::vector<float>> record_layer_inputs(Net& net, const std::vector<std::string>& layers,
                                                              int iterations, size_t max_samples) {
  HWGQ_REQUIRE(iterations > 0, "recording needs a positive number of iterations, got " << iterations);
  std::map<int, std::string> wanted;  // layer index -> name
  for (const auto& name : layers) {
    net.layer_by_name(name);  // raises with the list of layers when unknown
    const auto index = std::find(net.layer_names().begin(), net.layer_names().end(), name) - net.layer_names().begin();
    HWGQ_REQUIRE(!net.bottom_vecs(index).empty(), "layer \"" << name << "\" has no input to record");
    // A Quant with a BatchNorm folded into it (inference) or fused with it (training) reads
    // the un-normalised input: its bottom is not what it quantizes.
    const auto* quant = dynamic_cast<const QuantLayer*>(net.layers()[index].get());
    HWGQ_REQUIRE(!quant || !(quant->fused() || quant->fused_for_training()),
                 "layer \"" << name << "\" has a BatchNorm folded into it, so its "
                                                          "bottom holds the un-normalised input; build the net "
                                                          "with fuse_batch_norm_quant: false to record it");
    wanted[static_cast<int>(index)] = name;
  }
  std::map<std::string, std::vector<float>> samples;
  const int n = static_cast<int>(net.layers().size());
  for (int it = 0; it < iterations; ++it) {
    for (int i = 0; i < n; ++i) {
      auto found = wanted.find(i);
      if (found != wanted.end()) {
        const Blob* input = net.bottom_vecs(i)[0];
        // Keep an even share of max_samples from every batch.
        const size_t share = std::max<size_t>(1, max_samples / iterations);
        const size_t stride = std::max<size_t>(1, input->count() / share);
        auto& out = samples[found->second];
        const float* data = input->cpu_data();
        for (int k = 0; k < input->count(); k += static_cast<int>(stride)) out.push_back(data[k]);
      }
      net.layers()[i]->forward(net.bottom_vecs(i), net.top_vecs(i));
    }
  }
  return samples;
}

}  // namespace hwgq
