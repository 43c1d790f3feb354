#include "hwgq/layers/packed_binary_convolution_layer.hpp"

#include <cstdint>
#include <utility>

#include "hwgq/layers/conv_param.hpp"
#include "hwgq/layers/packed_binary_params.hpp"

namespace hwgq {

void PackedBinaryConvolutionLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const ConvolutionParameter& p = param_.convolution_param();
  const std::string at = where();
  check_conv_param(p, at, *bottom[0]);
  num_output_ = static_cast<int>(p.num_output());
  group_ = static_cast<int>(p.group());
  bias_term_ = p.bias_term();
  use_alpha_ = param_.binary_convolution_param().use_alpha();
  read_conv_geometry(p, at, &geom_);
  const int channels = bottom[0]->shape(1);
  HWGQ_REQUIRE(channels % group_ == 0, at << "input channels (" << channels << ", bottom " << bottom[0]->shape_string()
                                          << ") must be divisible by group " << group_);
  HWGQ_REQUIRE(num_output_ % group_ == 0, at << "num_output " << num_output_ << " must be divisible by group " << group_);
  levels_ = read_input_levels(param_, at);
  setup_packed_bias(at, &blobs_, bias_term_, num_output_, p.bias_filler());
  channels_ = channels;
  if (has_weights_) check_weights(weights_);
}

void PackedBinaryConvolutionLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  HWGQ_REQUIRE(x.num_axes() == 4, where() << "needs a 4-d bottom (N x C x H x W), got " << x.shape_string());
  HWGQ_REQUIRE(x.shape(1) == channels_, where() << "was set up for " << channels_ << " input channels, but the bottom is now "
                                                << x.shape_string());
  geom_.channels = channels_;
  geom_.height = x.shape(2);
  geom_.width = x.shape(3);
  try {
    packed_geom_ = kernels::make_conv_geometry(geom_.height, geom_.width, geom_.kernel_h, geom_.kernel_w, geom_.stride_h,
                                               geom_.stride_w, geom_.pad_h, geom_.pad_w, geom_.dilation_h,
                                               geom_.dilation_w);
  } catch (const Error& e) {
    HWGQ_FAIL(where() << "bottom " << x.shape_string() << ": " << e.what());
  }
  top[0]->reshape({x.shape(0), num_output_, packed_geom_.out_h, packed_geom_.out_w});
}

void PackedBinaryConvolutionLayer::check_weights(const kernels::PackedBinaryWeights& w) const {
  const std::string at = where();
  try {
    w.check();
  } catch (const Error& e) {
    HWGQ_FAIL(at << e.what());
  }
  HWGQ_REQUIRE(w.out_channels == num_output_ && w.groups == group_ && w.kernel_h == geom_.kernel_h &&
                   w.kernel_w == geom_.kernel_w && (channels_ == 0 || w.in_channels == channels_ / group_),
               at << "packed weights are " << w.out_channels << " x " << w.in_channels << " x " << w.kernel_h << " x "
                  << w.kernel_w << " in " << w.groups << " group(s), the layer needs " << num_output_ << " x "
                  << (channels_ ? std::to_string(channels_ / group_) : std::string("C / group")) << " x "
                  << geom_.kernel_h << " x " << geom_.kernel_w << " in " << group_ << " group(s)");
}

void PackedBinaryConvolutionLayer::set_packed_weights(kernels::PackedBinaryWeights weights) {
  // Before setup the parameters are unread; read what needs no bottom so the check is real.
  if (num_output_ == 0) {
    const ConvolutionParameter& p = param_.convolution_param();
    num_output_ = static_cast<int>(p.num_output());
    group_ = static_cast<int>(p.group());
    read_conv_geometry(p, where(), &geom_);
  }
  check_weights(weights);
  weights_ = std::move(weights);
  has_weights_ = true;
}

kernels::PackedBinaryWeights PackedBinaryConvolutionLayer::pack_from(const Blob& real_weights, int groups,
                                                                     bool use_alpha) {
  HWGQ_REQUIRE(real_weights.num_axes() == 4, "PackedBinaryConvolution: real weights must be num_output x C / group x "
                                             "kernel_h x kernel_w, got "
                                                 << real_weights.shape_string());
  return kernels::pack_binary_weights(real_weights.cpu_data(), real_weights.shape(0), real_weights.shape(1),
                                      real_weights.shape(2), real_weights.shape(3), groups, use_alpha);
}

void PackedBinaryConvolutionLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  HWGQ_REQUIRE(has_weights_, where() << "has no packed weights; set them (set_packed_weights) before forward");
  const Blob& x = *bottom[0];
  try {
    kernels::pack_activations(x.cpu_data(), x.shape(0), x.shape(1), x.shape(2), x.shape(3), levels_, &packed_input_,
                              group_);
  } catch (const Error& e) {
    HWGQ_FAIL(where() << e.what());
  }
  const kernels::OutputCodes* codes = nullptr;
  float* y = output_quant_.target(top[0], &codes);
  kernels::binary_conv(packed_input_, weights_, packed_geom_, bias_term_ ? blobs_[0]->cpu_data() : nullptr, y, codes);
  output_quant_.written();
}

void PackedBinaryConvolutionLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                                const BlobVec& bottom) {
  HWGQ_FAIL(where() << "is inference only and has no backward; train with BinaryConvolution");
}

}  // namespace hwgq
