#include "hwgq/layers/reshape_layer.hpp"

#include <climits>

namespace hwgq {

void ReshapeLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const ReshapeParameter& p = param_.reshape_param();
  spec_.clear();
  inferred_ = -1;
  for (int i = 0; i < p.shape().dim_size(); ++i) {
    const int64_t d = p.shape().dim(i);
    HWGQ_REQUIRE(d >= -1 && d <= INT_MAX, where() << "shape dimension " << i << " is " << d
                                                  << "; use a positive size, 0 (copy) or -1 (infer)");
    if (d == -1) {
      HWGQ_REQUIRE(inferred_ < 0, where() << "shape has more than one -1 (dimensions " << inferred_ << " and " << i
                                          << "); only one can be inferred");
      inferred_ = i;
    }
    spec_.push_back(static_cast<int>(d));
  }
  HWGQ_REQUIRE(p.num_axes() >= -1, where() << "num_axes must be -1 (to the end) or at least 0, got " << p.num_axes());
}

void ReshapeLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  HWGQ_REQUIRE(bottom[0] != top[0], where() << "cannot run in place");
  const Blob& x = *bottom[0];
  const ReshapeParameter& p = param_.reshape_param();
  const int n = x.num_axes();
  // -1 names the position after the last axis, so that an axis can be appended.
  const int start = p.axis() >= 0 ? p.axis() : n + 1 + p.axis();
  HWGQ_REQUIRE(start >= 0 && start <= n,
               where() << "axis " << p.axis() << " is out of range for bottom " << x.shape_string());
  const int end = p.num_axes() == -1 ? n : start + p.num_axes();
  HWGQ_REQUIRE(end <= n, where() << "axis " << p.axis() << " with num_axes " << p.num_axes()
                                 << " reaches past the axes of bottom " << x.shape_string());

  std::vector<int> shape(x.shape().begin(), x.shape().begin() + start);
  for (size_t i = 0; i < spec_.size(); ++i) {
    int d = spec_[i];
    if (d == 0) {
      const int source = start + static_cast<int>(i);
      HWGQ_REQUIRE(source < n, where() << "shape dimension " << i << " is 0 (copy), but bottom " << x.shape_string()
                                       << " has no axis " << source);
      d = x.shape(source);
    }
    shape.push_back(d);
  }
  shape.insert(shape.end(), x.shape().begin() + end, x.shape().end());

  if (inferred_ >= 0) {
    const int at = start + inferred_;
    long long known = 1;
    for (size_t a = 0; a < shape.size(); ++a)
      if (int(a) != at) known *= shape[a];
    HWGQ_REQUIRE(known > 0 && x.count() % known == 0,
                 where() << "cannot infer the -1 dimension: bottom " << x.shape_string() << " has " << x.count()
                         << " elements, not a multiple of the " << known << " the other dimensions give");
    shape[at] = static_cast<int>(x.count() / known);
  }
  long long count = 1;
  for (int d : shape) count *= d;
  HWGQ_REQUIRE(count == x.count(), where() << "cannot reshape bottom " << x.shape_string() << " into "
                                           << hwgq::shape_string(shape) << ": the element counts differ");
  top[0]->reshape(shape);
  // Re-shared on every reshape: a bottom that grew has a new buffer.
  top[0]->share_data(x);
}

void ReshapeLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (propagate_down[0]) bottom[0]->share_diff(*top[0]);
}

}  // namespace hwgq
