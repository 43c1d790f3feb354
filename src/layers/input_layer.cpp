#include "hwgq/layers/input_layer.hpp"

#include <climits>

namespace hwgq {

void InputLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const InputParameter& p = param_.input_param();
  const int num_shapes = p.shape_size();
  const int num_tops = static_cast<int>(top.size());
  HWGQ_REQUIRE(num_shapes == 1 || num_shapes == num_tops,
               where() << "input_param needs one shape for all tops or one shape per top; got " << num_shapes
                       << " shape(s) for " << num_tops << " top(s)");
  for (int t = 0; t < num_tops; ++t) {
    const BlobShape& stored = p.shape(num_shapes == 1 ? 0 : t);
    std::vector<int> shape;
    for (int i = 0; i < stored.dim_size(); ++i) {
      const int64_t dim = stored.dim(i);
      // An empty blob would only fail later, far from the prototxt line that caused it.
      HWGQ_REQUIRE(dim > 0 && dim <= INT_MAX, where() << "input_param.shape for top " << t << " has dimension " << i
                                                      << " = " << dim << "; every dimension must be positive");
      shape.push_back(static_cast<int>(dim));
    }
    top[t]->reshape(shape);
  }
}

}  // namespace hwgq
