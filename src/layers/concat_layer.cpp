#include "hwgq/layers/concat_layer.hpp"

#include <cstring>

namespace hwgq {

namespace {

constexpr int kParallelMin = 1 << 15;

// A bottom as the prototxt names it, or by index when the layer was built by hand.
std::string bottom_label(const LayerParameter& param, size_t index) {
  std::string label = "bottom " + std::to_string(index);
  if ((int)index < param.bottom_size()) label += " \"" + param.bottom(index) + "\"";
  return label;
}

// Copies `rows` runs of `run` floats between two strided layouts.
void copy_rows(int rows, int run, const float* src, int src_stride, float* dst, int dst_stride) {
#pragma omp parallel for if (size_t(rows) * run >= size_t(kParallelMin) && rows > 1)
  for (int r = 0; r < rows; ++r)
    std::memcpy(dst + size_t(r) * dst_stride, src + size_t(r) * src_stride, sizeof(float) * run);
}

}  // namespace

void ConcatLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const ConcatParameter& p = param_.concat_param();
  HWGQ_REQUIRE(!(p.has_axis() && p.has_concat_dim()),
               where() << "give either concat_param.axis or the legacy concat_dim, not both");
  requested_axis_ = p.has_concat_dim() ? static_cast<int>(p.concat_dim()) : p.axis();
}

void ConcatLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  for (size_t i = 0; i < bottom.size(); ++i)
    HWGQ_REQUIRE(bottom[i] != top[0], where() << "cannot run in place (" << bottom_label(param_, i) << " is the top)");
  const Blob& first = *bottom[0];
  const int n = first.num_axes();
  HWGQ_REQUIRE(requested_axis_ >= -n && requested_axis_ < n,
               where() << "axis " << requested_axis_ << " is out of range for " << bottom_label(param_, 0) << " of shape "
                       << first.shape_string());
  axis_ = first.canonical_axis(requested_axis_);
  std::vector<int> shape = first.shape();
  for (size_t i = 1; i < bottom.size(); ++i) {
    const Blob& b = *bottom[i];
    bool agrees = b.num_axes() == n;
    for (int a = 0; agrees && a < n; ++a) agrees = a == axis_ || b.shape(a) == first.shape(a);
    HWGQ_REQUIRE(agrees, where() << bottom_label(param_, i) << " has shape " << b.shape_string() << " but "
                                 << bottom_label(param_, 0) << " has shape " << first.shape_string()
                                 << "; they must agree on every axis except the concatenation axis " << axis_);
    shape[axis_] += b.shape(axis_);
  }
  outer_ = first.count(0, axis_);
  inner_ = first.count(axis_ + 1);
  top_axis_dim_ = shape[axis_];
  top[0]->reshape(shape);
}

void ConcatLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  float* y = top[0]->mutable_cpu_data();
  const int top_row = top_axis_dim_ * inner_;
  int offset = 0;
  for (const Blob* b : bottom) {
    const int row = b->shape(axis_) * inner_;
    if (row > 0) copy_rows(outer_, row, b->cpu_data(), row, y + offset, top_row);
    offset += row;
  }
}

void ConcatLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  const float* dy = top[0]->cpu_diff();
  const int top_row = top_axis_dim_ * inner_;
  int offset = 0;
  for (size_t i = 0; i < bottom.size(); ++i) {
    const int row = bottom[i]->shape(axis_) * inner_;
    if (propagate_down[i] && row > 0) copy_rows(outer_, row, dy + offset, top_row, bottom[i]->mutable_cpu_diff(), row);
    offset += row;
  }
}

}  // namespace hwgq
