#include "hwgq/layers/slice_layer.hpp"

#include <cstring>

namespace hwgq {

namespace {

constexpr int kParallelMin = 1 << 15;

void copy_rows(int rows, int run, const float* src, int src_stride, float* dst, int dst_stride) {
#pragma omp parallel for if (size_t(rows) * run >= size_t(kParallelMin) && rows > 1)
  for (int r = 0; r < rows; ++r)
    std::memcpy(dst + size_t(r) * dst_stride, src + size_t(r) * src_stride, sizeof(float) * run);
}

}  // namespace

void SliceLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const SliceParameter& p = param_.slice_param();
  HWGQ_REQUIRE(!(p.has_axis() && p.has_slice_dim()),
               where() << "give either slice_param.axis or the legacy slice_dim, not both");
  requested_axis_ = p.has_slice_dim() ? static_cast<int>(p.slice_dim()) : p.axis();
  points_.assign(p.slice_point().begin(), p.slice_point().end());
  HWGQ_REQUIRE(points_.empty() || points_.size() + 1 == top.size(),
               where() << "has " << points_.size() << " slice_point value(s) for " << top.size()
                       << " top blobs; give one fewer than the tops, or none to split evenly");
  for (size_t i = 1; i < points_.size(); ++i)
    HWGQ_REQUIRE(points_[i - 1] < points_[i], where() << "slice_point values must increase, got " << points_[i - 1]
                                                      << " then " << points_[i]);
}

void SliceLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  for (size_t t = 0; t < top.size(); ++t)
    HWGQ_REQUIRE(top[t] != bottom[0], where() << "cannot run in place (top " << t << " is the bottom)");
  const int n = x.num_axes();
  HWGQ_REQUIRE(requested_axis_ >= -n && requested_axis_ < n,
               where() << "axis " << requested_axis_ << " is out of range for bottom " << x.shape_string());
  axis_ = x.canonical_axis(requested_axis_);
  const int dim = x.shape(axis_);
  const int tops = static_cast<int>(top.size());
  std::vector<int> sizes;
  if (points_.empty()) {
    HWGQ_REQUIRE(dim % tops == 0, where() << "cannot split axis " << axis_ << " of size " << dim << " (bottom "
                                          << x.shape_string() << ") evenly into " << tops << " tops");
    sizes.assign(tops, dim / tops);
  } else {
    HWGQ_REQUIRE(points_.front() > 0 && points_.back() < dim,
                 where() << "slice_point values must lie strictly inside axis " << axis_ << " of size " << dim
                         << " (bottom " << x.shape_string() << ")");
    int previous = 0;
    for (int point : points_) {
      sizes.push_back(point - previous);
      previous = point;
    }
    sizes.push_back(dim - previous);
  }
  outer_ = x.count(0, axis_);
  inner_ = x.count(axis_ + 1);
  std::vector<int> shape = x.shape();
  for (int t = 0; t < tops; ++t) {
    shape[axis_] = sizes[t];
    top[t]->reshape(shape);
  }
}

void SliceLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->cpu_data();
  const int bottom_row = bottom[0]->shape(axis_) * inner_;
  int offset = 0;
  for (Blob* t : top) {
    const int row = t->shape(axis_) * inner_;
    if (row > 0) copy_rows(outer_, row, x + offset, bottom_row, t->mutable_cpu_data(), row);
    offset += row;
  }
}

void SliceLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  float* dx = bottom[0]->mutable_cpu_diff();
  const int bottom_row = bottom[0]->shape(axis_) * inner_;
  int offset = 0;
  for (const Blob* t : top) {
    const int row = t->shape(axis_) * inner_;
    if (row > 0) copy_rows(outer_, row, t->cpu_diff(), row, dx + offset, bottom_row);
    offset += row;
  }
}

}  // namespace hwgq
