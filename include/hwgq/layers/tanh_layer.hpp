// TanH: y = tanh(x). Backward uses only y (dy * (1 - y^2)), so the layer may run in place.
#pragma once

#include <cmath>

#include "hwgq/layers/elementwise_layer.hpp"

namespace hwgq {

class TanHLayer : public ElementwiseLayer<TanHLayer> {
 public:
  static constexpr const char* kType = "TanH";

  struct Function {
    HWGQ_HOST_DEVICE float forward(float x) const { return tanhf(x); }
    HWGQ_HOST_DEVICE float backward(float y, float dy) const { return dy * (1.f - y * y); }
    static constexpr bool kGradientFromOutput = true;
  };

  explicit TanHLayer(const LayerParameter& param) : ElementwiseLayer(param) {}

  Function function() const { return {}; }
};

}  // namespace hwgq
