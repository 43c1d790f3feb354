// Sigmoid: y = 1 / (1 + exp(-x)). Backward uses only y (dy * y * (1 - y)), so the layer
// may run in place.
#pragma once

#include <cmath>

#include "hwgq/layers/elementwise_layer.hpp"

namespace hwgq {

class SigmoidLayer : public ElementwiseLayer<SigmoidLayer> {
 public:
  static constexpr const char* kType = "Sigmoid";

  struct Function {
    // 0.5 * tanh(x / 2) + 0.5 is the same function without exp(-x) overflowing for x << 0.
    HWGQ_HOST_DEVICE float forward(float x) const { return 0.5f * tanhf(0.5f * x) + 0.5f; }
    HWGQ_HOST_DEVICE float backward(float y, float dy) const { return dy * y * (1.f - y); }
    static constexpr bool kGradientFromOutput = true;
  };

  explicit SigmoidLayer(const LayerParameter& param) : ElementwiseLayer(param) {}

  Function function() const { return {}; }
};

}  // namespace hwgq
