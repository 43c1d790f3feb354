#include "hwgq/layers/flatten_layer.hpp"

namespace hwgq {

void FlattenLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  HWGQ_REQUIRE(bottom[0] != top[0], where() << "cannot run in place");
  const Blob& x = *bottom[0];
  const FlattenParameter& p = param_.flatten_param();
  const int n = x.num_axes();
  HWGQ_REQUIRE(p.axis() >= -n && p.axis() < n, where() << "axis " << p.axis() << " is out of range for bottom "
                                                         << x.shape_string());
  HWGQ_REQUIRE(p.end_axis() >= -n && p.end_axis() < n,
               where() << "end_axis " << p.end_axis() << " is out of range for bottom " << x.shape_string());
  const int start = x.canonical_axis(p.axis());
  const int end = x.canonical_axis(p.end_axis());
  HWGQ_REQUIRE(start <= end, where() << "axis " << p.axis() << " comes after end_axis " << p.end_axis()
                                     << " for bottom " << x.shape_string());
  std::vector<int> shape(x.shape().begin(), x.shape().begin() + start);
  shape.push_back(x.count(start, end + 1));
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  top[0]->reshape(shape);
  // Re-shared on every reshape: a bottom that grew has a new buffer.
  top[0]->share_data(x);
}

void FlattenLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  // Layer::forward ran reshape, which already pointed the top at the bottom's data.
}

void FlattenLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (propagate_down[0]) bottom[0]->share_diff(*top[0]);
}

}  // namespace hwgq
