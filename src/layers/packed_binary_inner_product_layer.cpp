#include "hwgq/layers/packed_binary_inner_product_layer.hpp"

#include <cstdint>
#include <utility>

#include "hwgq/layers/packed_binary_params.hpp"

namespace hwgq {

void PackedBinaryInnerProductLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const InnerProductParameter& p = param_.inner_product_param();
  const std::string at = where();
  HWGQ_REQUIRE(p.has_num_output() && p.num_output() > 0 && p.num_output() <= INT32_MAX, at << "needs num_output > 0");
  HWGQ_REQUIRE(!p.transpose(), at << "inner_product_param.transpose must be false (one alpha per output row)");
  num_output_ = static_cast<int>(p.num_output());
  bias_term_ = p.bias_term();
  use_alpha_ = param_.binary_inner_product_param().use_alpha();
  HWGQ_REQUIRE(p.axis() >= -bottom[0]->num_axes() && p.axis() < bottom[0]->num_axes(),
               at << "axis " << p.axis() << " is out of range for the bottom " << bottom[0]->shape_string());
  axis_ = bottom[0]->canonical_axis(p.axis());
  const int k = bottom[0]->count(axis_);
  HWGQ_REQUIRE(k > 0, at << "has no inputs per sample: bottom " << bottom[0]->shape_string() << ", axis " << axis_);
  levels_ = read_input_levels(param_, at);
  setup_packed_bias(at, &blobs_, bias_term_, num_output_, p.bias_filler());
  k_ = k;
  if (has_weights_) check_weights(weights_);
}

void PackedBinaryInnerProductLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  HWGQ_REQUIRE(axis_ < x.num_axes() && x.count(axis_) == k_,
               where() << "was set up for " << k_ << " inputs per sample (from axis " << axis_
                       << "), but the bottom is now " << x.shape_string());
  m_ = x.count(0, axis_);
  std::vector<int> shape(x.shape().begin(), x.shape().begin() + axis_);
  shape.push_back(num_output_);
  top[0]->reshape(shape);
}

void PackedBinaryInnerProductLayer::check_weights(const kernels::PackedBinaryWeights& w) const {
  const std::string at = where();
  try {
    w.check();
  } catch (const Error& e) {
    HWGQ_FAIL(at << e.what());
  }
  HWGQ_REQUIRE(w.out_channels == num_output_ && w.groups == 1 && w.kernel_h == 1 && w.kernel_w == 1 &&
                   (k_ == 0 || w.in_channels == k_),
               at << "packed weights are " << w.out_channels << " x " << w.in_channels << " (kernel " << w.kernel_h
                  << " x " << w.kernel_w << ", " << w.groups << " group(s)), the layer needs " << num_output_ << " x "
                  << (k_ ? std::to_string(k_) : std::string("K")) << " (kernel 1 x 1, 1 group)");
}

void PackedBinaryInnerProductLayer::set_packed_weights(kernels::PackedBinaryWeights weights) {
  if (num_output_ == 0) num_output_ = static_cast<int>(param_.inner_product_param().num_output());
  check_weights(weights);
  weights_ = std::move(weights);
  has_weights_ = true;
}

kernels::PackedBinaryWeights PackedBinaryInnerProductLayer::pack_from(const Blob& real_weights, int groups,
                                                                      bool use_alpha) {
  HWGQ_REQUIRE(groups == 1, "PackedBinaryInnerProduct: an inner product has no groups, got groups " << groups);
  HWGQ_REQUIRE(real_weights.num_axes() == 2,
               "PackedBinaryInnerProduct: real weights must be num_output x K, got " << real_weights.shape_string());
  return kernels::pack_binary_weights(real_weights.cpu_data(), real_weights.shape(0), real_weights.shape(1), 1, 1, 1,
                                      use_alpha);
}

void PackedBinaryInnerProductLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  HWGQ_REQUIRE(has_weights_, where() << "has no packed weights; set them (set_packed_weights) before forward");
  try {
    kernels::pack_activations(bottom[0]->cpu_data(), m_, k_, 1, 1, levels_, &packed_input_);
  } catch (const Error& e) {
    HWGQ_FAIL(where() << e.what());
  }
  kernels::ConvGeometry pointwise;
  pointwise.out_h = pointwise.out_w = 1;
  const kernels::OutputCodes* codes = nullptr;
  float* y = output_quant_.target(top[0], &codes);
  kernels::binary_conv(packed_input_, weights_, pointwise, bias_term_ ? blobs_[0]->cpu_data() : nullptr, y, codes);
  output_quant_.written();
}

void PackedBinaryInnerProductLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                                 const BlobVec& bottom) {
  HWGQ_FAIL(where() << "is inference only and has no backward; train with BinaryInnerProduct");
}

}  // namespace hwgq
