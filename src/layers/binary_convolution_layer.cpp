#include "hwgq/layers/binary_convolution_layer.hpp"

#include <glog/logging.h>

#include <atomic>

#include "hwgq/math/blas.hpp"
#include "hwgq/quant/binarize.hpp"
#include "hwgq/util/openmp_threads.hpp"

namespace hwgq {

void BinaryConvolutionLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const BinaryConvolutionParameter& p = param_.binary_convolution_param();
  use_alpha_ = p.use_alpha();
  use_binarization_ = p.use_binarization();
  ConvolutionLayer::layer_setup(bottom, top);
  binary_weights_.reshape_like(*blobs_[0]);
  alphas_.assign(num_output(), 1.f);
}

void BinaryConvolutionLayer::binarize() {
  const Blob& w = *blobs_[0];
  binary_weights_.reshape_like(w);
  alphas_.resize(num_output());
  if (use_binarization_) {
    // One alpha per output filter over its (C / group) x kh x kw weights (docs/hwgq-paper.md 1.1).
    binarize_rows(w.cpu_data(), num_output(), w.count(1), use_alpha_, binary_weights_.mutable_cpu_data(),
                  alphas_.data());
  } else {
    copy(w.count(), w.cpu_data(), binary_weights_.mutable_cpu_data());
    alphas_.assign(num_output(), 1.f);
  }
}

const Blob& BinaryConvolutionLayer::binarized_weights() {
  binarize();
  return binary_weights_;
}

const float* BinaryConvolutionLayer::weights_for_forward() {
  if (!use_binarization_) return blobs_[0]->cpu_data();
  binarize();
  return binary_weights_.cpu_data();
}

const float* BinaryConvolutionLayer::weights_for_backward() {
  return use_binarization_ ? binary_weights_.cpu_data() : blobs_[0]->cpu_data();
}

bool BinaryConvolutionLayer::integer_forward_allowed() const {
  return use_binarization_ && param_.binary_convolution_param().integer_forward();
}

void BinaryConvolutionLayer::use_integer_forward(const kernels::LevelCodes& codes) {
  HWGQ_REQUIRE(integer_forward_allowed(), where() << "the integer forward needs use_binarization and integer_forward");
  integer_codes_ = std::make_unique<kernels::LevelCodes>(codes);
}

void BinaryConvolutionLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  if (integer_codes_ && forward_integer(bottom, top)) return;
  ConvolutionLayer::forward_cpu(bottom, top);
}

bool BinaryConvolutionLayer::forward_integer(const BlobVec& bottom, const BlobVec& top) {
  const Conv2dGeometry& g = geometry();
  const int num = bottom[0]->shape(0);
  const int groups = group();
  const int og = num_output() / groups;
  const int depth = filter_size();
  const int pixels = top[0]->shape(2) * top[0]->shape(3);
  const size_t in_step = static_cast<size_t>(g.channels) * g.height * g.width;
  const size_t out_step = static_cast<size_t>(num_output()) * pixels;

  // Signs, alphas and the float alpha * sign(W) that backward uses, in one pass over W.
  const float* w = blobs_[0]->cpu_data();
  binary_weights_.reshape_like(*blobs_[0]);
  float* binarized = binary_weights_.mutable_cpu_data();
  group_signs_.resize(groups);
  alphas_.resize(num_output());
  for (int gi = 0; gi < groups; ++gi) {
    const size_t offset = static_cast<size_t>(gi) * og * depth;
    kernels::pack_signs(w + offset, og, depth, use_alpha_, &group_signs_[gi], binarized + offset);
    std::copy(group_signs_[gi].alphas.begin(), group_signs_[gi].alphas.end(), alphas_.begin() + gi * og);
  }

  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  const float* bias = param_.convolution_param().bias_term() ? blobs_[1]->cpu_data() : nullptr;
  const kernels::LevelCodes& codes = *integer_codes_;
  const double step = codes.step;
  const int threads = max_threads();
  // As the float path: images over threads when there are enough of them and the layer is
  // not tiny, else one image at a time with the GEMM's blocks over threads.
  const long long work = static_cast<long long>(num) * num_output() * depth * pixels;
  const bool over_images = threads > 1 && num >= threads && work >= (1 << 20);
  if (scratch_.size() < static_cast<size_t>(threads)) scratch_.resize(threads);
  std::atomic<bool> valid{true};
  auto image = [&](int n, ImageScratch& s, bool parallel_gemm) {
    s.codes.resize(in_step);
    if (!kernels::map_codes(x + n * in_step, in_step, codes, s.codes.data())) {
      valid = false;
      return;
    }
    s.sums.resize(static_cast<size_t>(og) * pixels);
    for (int gi = 0; gi < groups; ++gi) {
      kernels::pack_conv_codes(s.codes.data(), g, gi * (g.channels / groups), g.channels / groups, &s.packed);
      kernels::code_sign_gemm(group_signs_[gi], s.packed, s.sums.data(), pixels, parallel_gemm);
      kernels::scale_rows(s.sums.data(), pixels, og, pixels, group_signs_[gi].alphas.data(), step,
                          bias ? bias + gi * og : nullptr, y + n * out_step + static_cast<size_t>(gi) * og * pixels,
                          pixels, 1);
    }
  };
  if (over_images) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int n = 0; n < num; ++n) image(n, scratch_[thread_id()], false);
  } else {
    for (int n = 0; n < num && valid; ++n) image(n, scratch_[0], true);
  }
  if (valid) return true;
  if (!warned_fallback_) {
    LOG(WARNING) << where() << "a bottom value is neither 0 nor one of the Quant levels (NaN?); this forward and "
                 << "any such later one use the float path";
    warned_fallback_ = true;
  }
  return false;
}

}  // namespace hwgq
