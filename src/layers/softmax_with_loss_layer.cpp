#include "hwgq/layers/softmax_with_loss_layer.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "hwgq/math/blas.hpp"

namespace hwgq {

void SoftmaxWithLossLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  LayerParameter softmax_param;
  softmax_param.set_name(name() + "/softmax");
  softmax_param.set_type("Softmax");
  softmax_param.set_phase(phase());
  *softmax_param.mutable_softmax_param() = param_.softmax_param();
  softmax_ = std::make_unique<SoftmaxLayer>(softmax_param);
  softmax_->setup({bottom[0]}, {&prob_});

  const LossParameter& p = param_.loss_param();
  has_ignore_label_ = p.has_ignore_label();
  ignore_label_ = p.ignore_label();
  if (p.has_normalization()) {
    normalization_ = p.normalization();
  } else if (p.has_normalize()) {
    // The deprecated flag: normalize by the valid count, or else by the batch size.
    normalization_ = p.normalize() ? LossParameter::VALID : LossParameter::BATCH_SIZE;
  } else {
    normalization_ = LossParameter::VALID;
  }
}

void SoftmaxWithLossLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  softmax_->reshape({bottom[0]}, {&prob_});
  outer_ = softmax_->outer();
  classes_ = softmax_->classes();
  inner_ = softmax_->inner();
  HWGQ_REQUIRE(bottom[1]->count() == outer_ * inner_,
               where() << "needs one label per score position: scores " << bottom[0]->shape_string()
                       << " (classes along axis " << softmax_->axis() << ") give " << outer_ * inner_
                       << " positions, labels " << bottom[1]->shape_string() << " hold " << bottom[1]->count());
  top[0]->reshape({});
  if (top.size() > 1) top[1]->reshape_like(*bottom[0]);
}

int SoftmaxWithLossLayer::label_at(const float* labels, int index) const {
  const int label = static_cast<int>(labels[index]);
  if (has_ignore_label_ && label == ignore_label_) return -1;
  HWGQ_REQUIRE(label >= 0 && label < classes_,
               where() << "label " << label << " (at position " << index << ") is out of range for " << classes_
                       << " classes; labels must lie in [0, " << classes_ << ")"
                       << (has_ignore_label_ ? " or equal ignore_label " + std::to_string(ignore_label_) : ""));
  return label;
}

float SoftmaxWithLossLayer::normalizer(int valid_count) const {
  float n = 1.f;
  switch (normalization_) {
    case LossParameter::FULL:
      n = float(outer_) * inner_;
      break;
    case LossParameter::VALID:
      n = float(valid_count);
      break;
    case LossParameter::BATCH_SIZE:
      n = float(outer_);
      break;
    case LossParameter::NONE:
      n = 1.f;
      break;
  }
  // A batch with every label ignored gives loss 0, not 0 / 0.
  return std::max(n, 1.f);
}

void SoftmaxWithLossLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  softmax_->forward({bottom[0]}, {&prob_});
  const float* prob = prob_.cpu_data();
  const float* labels = bottom[1]->cpu_data();
  double loss = 0.0;
  int valid = 0;
  for (int o = 0; o < outer_; ++o) {
    for (int i = 0; i < inner_; ++i) {
      const int label = label_at(labels, o * inner_ + i);
      if (label < 0) continue;
      // FLT_MIN bounds the loss of a probability that underflowed to 0.
      const float p = prob[(size_t(o) * classes_ + label) * inner_ + i];
      loss -= std::log(std::max(p, FLT_MIN));
      ++valid;
    }
  }
  top[0]->mutable_cpu_data()[0] = static_cast<float>(loss / normalizer(valid));
  if (top.size() > 1) copy(prob_.count(), prob, top[1]->mutable_cpu_data());
}

void SoftmaxWithLossLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                        const BlobVec& bottom) {
  HWGQ_REQUIRE(propagate_down.size() < 2 || !propagate_down[1],
               where() << "cannot propagate a gradient to the labels (bottom 1)");
  if (!propagate_down[0]) return;
  const float* prob = prob_.cpu_data();
  const float* labels = bottom[1]->cpu_data();
  float* dx = bottom[0]->mutable_cpu_diff();
  copy(prob_.count(), prob, dx);
  int valid = 0;
  for (int o = 0; o < outer_; ++o) {
    for (int i = 0; i < inner_; ++i) {
      const int label = label_at(labels, o * inner_ + i);
      float* column = dx + size_t(o) * classes_ * inner_ + i;
      if (label < 0) {
        for (int c = 0; c < classes_; ++c) column[size_t(c) * inner_] = 0.f;
      } else {
        column[size_t(label) * inner_] -= 1.f;
        ++valid;
      }
    }
  }
  // top[0]'s diff holds the loss weight (set by Layer::setup or by the net).
  scal(prob_.count(), top[0]->cpu_diff()[0] / normalizer(valid), dx);
}

}  // namespace hwgq
