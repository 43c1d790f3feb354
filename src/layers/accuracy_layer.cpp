#include "hwgq/layers/accuracy_layer.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hwgq {

void AccuracyLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const AccuracyParameter& p = param_.accuracy_param();
  HWGQ_REQUIRE(p.top_k() >= 1, where() << "top_k must be at least 1, got " << p.top_k());
  top_k_ = static_cast<int>(std::min<uint32_t>(p.top_k(), 1u << 30));
  has_ignore_label_ = p.has_ignore_label();
  ignore_label_ = p.ignore_label();
}

void AccuracyLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& scores = *bottom[0];
  const int axis = param_.accuracy_param().axis();
  HWGQ_REQUIRE(axis >= -scores.num_axes() && axis < scores.num_axes(),
               where() << "axis " << axis << " is out of range for scores " << scores.shape_string());
  axis_ = scores.canonical_axis(axis);
  outer_ = scores.count(0, axis_);
  classes_ = scores.shape(axis_);
  inner_ = scores.count(axis_ + 1);
  HWGQ_REQUIRE(top_k_ <= classes_, where() << "top_k " << top_k_ << " exceeds the " << classes_
                                           << " classes of scores " << scores.shape_string());
  HWGQ_REQUIRE(bottom[1]->count() == outer_ * inner_,
               where() << "needs one label per score position: scores " << scores.shape_string()
                       << " (classes along axis " << axis_ << ") give " << outer_ * inner_ << " positions, labels "
                       << bottom[1]->shape_string() << " hold " << bottom[1]->count());
  top[0]->reshape({});
  if (top.size() > 1) top[1]->reshape({classes_});
}

void AccuracyLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* scores = bottom[0]->cpu_data();
  const float* labels = bottom[1]->cpu_data();
  std::vector<int> seen(classes_, 0), hit(classes_, 0);
  int count = 0, correct = 0;
  for (int o = 0; o < outer_; ++o) {
    for (int i = 0; i < inner_; ++i) {
      const int index = o * inner_ + i;
      const int label = static_cast<int>(labels[index]);
      if (has_ignore_label_ && label == ignore_label_) continue;
      HWGQ_REQUIRE(label >= 0 && label < classes_,
                   where() << "label " << label << " (at position " << index << ") is out of range for "
                           << classes_ << " classes");
      const float* column = scores + size_t(o) * classes_ * inner_ + i;
      const float target = column[size_t(label) * inner_];
      // NaN compares false with everything, so a NaN score would never rank above the
      // label's: a net gone NaN would score 100%. Any NaN among the scores counts as wrong.
      int greater = 0;
      bool has_nan = std::isnan(target);
      for (int c = 0; c < classes_ && !has_nan; ++c) {
        const float score = column[size_t(c) * inner_];
        has_nan = std::isnan(score);
        greater += score > target;
      }
      const bool found = !has_nan && greater < top_k_;
      ++count;
      ++seen[label];
      correct += found;
      hit[label] += found;
    }
  }
  // No counted position (all ignored) reads as accuracy 0 rather than NaN.
  top[0]->mutable_cpu_data()[0] = count > 0 ? float(correct) / count : 0.f;
  if (top.size() > 1) {
    float* per_class = top[1]->mutable_cpu_data();
    for (int c = 0; c < classes_; ++c) per_class[c] = seen[c] > 0 ? float(hit[c]) / seen[c] : 0.f;
  }
}

}  // namespace hwgq
