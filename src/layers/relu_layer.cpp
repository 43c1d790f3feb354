#include "hwgq/layers/relu_layer.hpp"

namespace hwgq {

void ReLULayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  negative_slope_ = param_.relu_param().negative_slope();
}

void ReLULayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  // In place, backward sees only y; its sign tells the side of the kink only when the
  // slope is not negative.
  HWGQ_REQUIRE(bottom[0] != top[0] || negative_slope_ >= 0.f,
               where() << "cannot run in place with a negative negative_slope (" << negative_slope_
                       << "): the input's sign is lost");
  ElementwiseLayer::reshape(bottom, top);
}

}  // namespace hwgq
