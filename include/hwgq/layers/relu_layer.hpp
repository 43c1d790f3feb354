// ReLU: y = max(x, 0) + negative_slope * min(x, 0) (a leaky ReLU when the slope is set).
#pragma once

#include "hwgq/layers/elementwise_layer.hpp"

namespace hwgq {

class ReLULayer : public ElementwiseLayer<ReLULayer> {
 public:
  static constexpr const char* kType = "ReLU";

  struct Function {
    float slope;
    HWGQ_HOST_DEVICE float forward(float x) const { return x > 0.f ? x : slope * x; }
    // The subgradient at x = 0 is taken as the slope, as in Caffe. In place the source is
    // y, which is > 0 exactly where x is for a non-negative slope (reshape checks that).
    HWGQ_HOST_DEVICE float backward(float x, float dy) const { return x > 0.f ? dy : slope * dy; }
    static constexpr bool kGradientFromOutput = false;
  };

  explicit ReLULayer(const LayerParameter& param) : ElementwiseLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  Function function() const { return {negative_slope_}; }

 private:
  float negative_slope_ = 0.f;
};

}  // namespace hwgq
