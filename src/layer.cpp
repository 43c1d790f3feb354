#include "hwgq/layer.hpp"

#include <glog/logging.h>

#include <numeric>

namespace hwgq {

Layer::Layer(const LayerParameter& param) : param_(param) {
  // Weights stored in the LayerParameter (a .caffemodel-style net) become the layer's blobs.
  for (int i = 0; i < param_.blobs_size(); ++i) {
    auto blob = std::make_shared<Blob>();
    blob->from_proto(param_.blobs(i));
    blobs_.push_back(blob);
  }
}

std::string Layer::where() const { return "layer \"" + param_.name() + "\" (" + param_.type() + "): "; }

void Layer::check_blob_counts(const BlobVec& bottom, const BlobVec& top) const {
  const int nb = static_cast<int>(bottom.size());
  const int nt = static_cast<int>(top.size());
  HWGQ_REQUIRE(exact_num_bottom_blobs() < 0 || nb == exact_num_bottom_blobs(),
               where() << "takes " << exact_num_bottom_blobs() << " bottom blob(s), got " << nb);
  HWGQ_REQUIRE(min_bottom_blobs() < 0 || nb >= min_bottom_blobs(),
               where() << "takes at least " << min_bottom_blobs() << " bottom blob(s), got " << nb);
  HWGQ_REQUIRE(max_bottom_blobs() < 0 || nb <= max_bottom_blobs(),
               where() << "takes at most " << max_bottom_blobs() << " bottom blob(s), got " << nb);
  HWGQ_REQUIRE(exact_num_top_blobs() < 0 || nt == exact_num_top_blobs(),
               where() << "produces " << exact_num_top_blobs() << " top blob(s), got " << nt);
  HWGQ_REQUIRE(min_top_blobs() < 0 || nt >= min_top_blobs(),
               where() << "produces at least " << min_top_blobs() << " top blob(s), got " << nt);
  HWGQ_REQUIRE(max_top_blobs() < 0 || nt <= max_top_blobs(),
               where() << "produces at most " << max_top_blobs() << " top blob(s), got " << nt);
}

void Layer::setup(const BlobVec& bottom, const BlobVec& top) {
  check_blob_counts(bottom, top);
  layer_setup(bottom, top);
  if (param_propagate_down_.size() < blobs_.size()) param_propagate_down_.resize(blobs_.size(), true);
  reshape(bottom, top);
  set_loss_weights(top);
}

void Layer::set_loss(int top_index, float value) {
  if ((int)loss_.size() <= top_index) loss_.resize(top_index + 1, 0.f);
  loss_[top_index] = value;
}

void Layer::set_param_propagate_down(int index, bool value) {
  if ((int)param_propagate_down_.size() <= index) param_propagate_down_.resize(index + 1, true);
  param_propagate_down_[index] = value;
}

void Layer::set_loss_weights(const BlobVec& top) {
  if (is_loss() && param_.loss_weight_size() == 0) {
    param_.add_loss_weight(1.f);
    for (size_t i = 1; i < top.size(); ++i) param_.add_loss_weight(0.f);
  }
  const int n = param_.loss_weight_size();
  if (n == 0) return;
  HWGQ_REQUIRE(n == (int)top.size(),
               where() << "has " << n << " loss_weight value(s) for " << top.size() << " top blob(s)");
  for (int i = 0; i < n; ++i) {
    set_loss(i, param_.loss_weight(i));
    // The loss is sum(top.data * top.diff): presetting diff to the weight gives both the
    // weighted loss in forward and the initial gradient in backward.
    if (param_.loss_weight(i) != 0.f) top[i]->set_diff(param_.loss_weight(i));
  }
}

float Layer::forward(const BlobVec& bottom, const BlobVec& top) {
  reshape(bottom, top);
  if (Context::get().mode() == Mode::GPU) {
    forward_gpu(bottom, top);
  } else {
    forward_cpu(bottom, top);
  }
  float loss = 0;
  for (size_t i = 0; i < top.size(); ++i) {
    if (this->loss(i) == 0.f) continue;
    const float* data = top[i]->cpu_data();
    const float* weight = top[i]->cpu_diff();
    double sum = 0;
    for (int j = 0; j < top[i]->count(); ++j) sum += double(data[j]) * weight[j];
    loss += static_cast<float>(sum);
  }
  return loss;
}

void Layer::backward(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (Context::get().mode() == Mode::GPU) {
    backward_gpu(top, propagate_down, bottom);
  } else {
    backward_cpu(top, propagate_down, bottom);
  }
}

void Layer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (!warned_cpu_fallback_) {
    LOG(INFO) << where() << "has no GPU code; running on the CPU";
    warned_cpu_fallback_ = true;
  }
  forward_cpu(bottom, top);
}

void Layer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  backward_cpu(top, propagate_down, bottom);
}

void Layer::to_proto(LayerParameter* param, bool write_diff) const {
  param->CopyFrom(param_);
  param->clear_blobs();
  for (const auto& blob : blobs_) blob->to_proto(param->add_blobs(), write_diff);
}

}  // namespace hwgq
