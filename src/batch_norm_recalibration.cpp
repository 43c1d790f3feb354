#include "hwgq/batch_norm_recalibration.hpp"

#include <glog/logging.h>

#include <vector>

#include "hwgq/layers/batch_norm_layer.hpp"

namespace hwgq {

int recalibrate_batch_norm(Net& net, int iterations) {
  HWGQ_REQUIRE(iterations > 0, "BatchNorm recalibration needs a positive number of batches, got " << iterations);
  HWGQ_REQUIRE(net.phase() == TRAIN, "BatchNorm recalibration runs the TRAIN phase of a net (its BatchNorm layers "
                                         "take batch statistics there); net "
                                         << net.name() << " was built for TEST");
  std::vector<BatchNormLayer*> layers;
  for (const auto& layer : net.layers()) {
    auto* batch_norm = dynamic_cast<BatchNormLayer*>(layer.get());
    if (batch_norm && !batch_norm->use_global_stats()) layers.push_back(batch_norm);
  }
  if (layers.empty()) return 0;
  LOG(INFO) << "Recalibrating the statistics of " << layers.size() << " BatchNorm layer(s) over " << iterations
            << " batches, weights frozen";
  for (BatchNormLayer* layer : layers) layer->begin_recalibration();
  try {
    for (int i = 0; i < iterations; ++i) net.forward();
  } catch (...) {
    for (BatchNormLayer* layer : layers) layer->end_recalibration();
    throw;
  }
  for (BatchNormLayer* layer : layers) layer->end_recalibration();
  return static_cast<int>(layers.size());
}

}  // namespace hwgq
