#include "hwgq/analysis/training_arithmetic.hpp"

#include "hwgq/analysis/net_summary.hpp"

namespace hwgq {

int64_t TrainingArithmetic::forward_macs() const {
  int64_t sum = 0;
  for (const auto& layer : layers) sum += layer.forward_macs;
  return sum;
}

int64_t TrainingArithmetic::backward_macs() const {
  int64_t sum = 0;
  for (const auto& layer : layers) sum += layer.backward_macs();
  return sum;
}

TrainingArithmetic count_training_arithmetic(const Net& net) {
  // summarize_net holds the one definition of a layer's MACs; its rows are in layer order.
  const NetSummary summary = summarize_net(net);
  TrainingArithmetic arithmetic;
  for (int i = 0; i < static_cast<int>(summary.layers.size()); ++i) {
    const LayerSummary& row = summary.layers[i];
    if (row.macs == 0) continue;
    const Blob& top = *net.top_vecs(i)[0];
    LayerArithmetic counted;
    counted.layer = i;
    counted.name = row.name;
    counted.type = row.type;
    counted.forward_macs = row.macs * top.shape(0);
    if (net.layer_needs_backward(i)) {
      const auto& bottom_needs = net.bottom_need_backward(i);
      if (!bottom_needs.empty() && bottom_needs[0]) counted.data_gradient_macs = counted.forward_macs;
      if (net.layers()[i]->param_propagate_down(0)) counted.weight_gradient_macs = counted.forward_macs;
    }
    arithmetic.layers.push_back(counted);
  }
  return arithmetic;
}

}  // namespace hwgq
