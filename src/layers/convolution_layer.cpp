#include "hwgq/layers/convolution_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>
#include <tuple>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "hwgq/layers/conv_param.hpp"
#include "hwgq/layers/param_blobs.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/util/openmp_threads.hpp"
#include "conv_dnnl_engine.hpp"
#include "conv_engine_selector.hpp"

namespace hwgq {

namespace {

// Per-OpenMP-thread buffers: im2col columns and (threads after the first) weight-gradient
// sums. Layers run one after another, so one set sized for the largest layer serves every
// convolution the calling thread runs, instead of each layer of a deep net holding its own
// (threads x columns, threads x weights). thread_local keeps nets driven from different
// threads apart.
struct Scratch {
  std::vector<std::vector<float>> columns;
  std::vector<std::vector<float>> weight_sums;

  void reserve(int threads, size_t column_size, size_t weight_count) {
    if (columns.size() < static_cast<size_t>(threads)) columns.resize(threads);
    if (weight_sums.size() < static_cast<size_t>(threads)) weight_sums.resize(threads);
    for (int t = 0; t < threads; ++t) {
      if (columns[t].size() < column_size) columns[t].resize(column_size);
      if (t > 0 && weight_sums[t].size() < weight_count) weight_sums[t].resize(weight_count);
    }
  }
};

Scratch& scratch() {
  thread_local Scratch instance;
  return instance;
}

}  // namespace

void ConvolutionLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const ConvolutionParameter& p = param_.convolution_param();
  const std::string at = where();
  check_conv_param(p, at, *bottom[0]);
  num_output_ = static_cast<int>(p.num_output());
  group_ = static_cast<int>(p.group());
  bias_term_ = p.bias_term();

  read_conv_geometry(p, at, &geom_);

  channels_ = bottom[0]->shape(1);
  HWGQ_REQUIRE(channels_ % group_ == 0, at << "input channels (" << channels_ << ", bottom "
                                           << bottom[0]->shape_string() << ") must be divisible by group " << group_);
  HWGQ_REQUIRE(num_output_ % group_ == 0,
               at << "num_output " << num_output_ << " must be divisible by group " << group_);
  pointwise_ = geom_.kernel_h == 1 && geom_.kernel_w == 1 && geom_.stride_h == 1 && geom_.stride_w == 1 &&
               geom_.pad_h == 0 && geom_.pad_w == 0;

  const std::vector<int> weight_shape = {num_output_, channels_ / group_, geom_.kernel_h, geom_.kernel_w};
  setup_weight_and_bias(at, &blobs_, weight_shape, p.weight_filler(), bias_term_, num_output_, p.bias_filler());
}

void ConvolutionLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  HWGQ_REQUIRE(x.num_axes() == 4, where() << "needs a 4-d bottom (N x C x H x W), got " << x.shape_string());
  HWGQ_REQUIRE(x.shape(1) == channels_, where() << "was set up for " << channels_ << " input channels, but the bottom is now "
                                                << x.shape_string());
  geom_.channels = channels_;
  geom_.height = x.shape(2);
  geom_.width = x.shape(3);
  const int out_h = geom_.out_height();
  const int out_w = geom_.out_width();
  HWGQ_REQUIRE(geom_.height + 2 * geom_.pad_h >= geom_.dilation_h * (geom_.kernel_h - 1) + 1 &&
                   geom_.width + 2 * geom_.pad_w >= geom_.dilation_w * (geom_.kernel_w - 1) + 1 && out_h >= 1 &&
                   out_w >= 1,
               where() << "the kernel (" << geom_.kernel_h << " x " << geom_.kernel_w << ", dilation "
                       << geom_.dilation_h << " x " << geom_.dilation_w << ") does not fit the padded bottom "
                       << x.shape_string() << " with pad " << geom_.pad_h << " x " << geom_.pad_w);
  num_ = x.shape(0);
  out_spatial_ = out_h * out_w;
  top[0]->reshape({num_, num_output_, out_h, out_w});
}

// Measured on 2 cores (batch 64, 20->50 channels, 12x12, 5x5): images over threads with a
// single-threaded GEMM each took 1.8 ms forward / 5.5 ms forward+backward, against 4.0 /
// 9.9 ms for one image at a time with OpenBLAS's threads; AlexNet-sized layers were equal
// or faster too. With fewer images than threads, threaded GEMM is the only parallelism.
// Tiny layers (under ~1M multiply-adds, far below any real net's) stay on one thread: a
// parallel region costs more than it saves there, and stalls when the cores are busy.
bool ConvolutionLayer::parallel_over_images(int threads) const {
  const long long work = static_cast<long long>(num_) * num_output_ * filter_size() * out_spatial_;
  return threads > 1 && num_ >= threads && work >= (1 << 20);
}

void ConvolutionLayer::forward_image(const float* x, const float* w, const float* bias, float* y, float* col) const {
  const int kg = filter_size();
  const int og = num_output_ / group_;
  const int s = out_spatial_;
  if (!pointwise_) {
    im2col(x, geom_, col);
    x = col;
  }
  for (int g = 0; g < group_; ++g) {
    gemm(Trans::No, Trans::No, og, s, kg, 1.f, w + static_cast<size_t>(g) * og * kg, x + static_cast<size_t>(g) * kg * s,
         0.f, y + static_cast<size_t>(g) * og * s);
  }
  if (bias) {
    for (int o = 0; o < num_output_; ++o) {
      float* row = y + static_cast<size_t>(o) * s;
      const float b = bias[o];
      for (int i = 0; i < s; ++i) row[i] += b;
    }
  }
}

void ConvolutionLayer::backward_image(const float* x, const float* dy, const float* w, float* dw, float* dx,
                                      float* col) const {
  const int kg = filter_size();
  const int og = num_output_ / group_;
  const int s = out_spatial_;
  if (dw) {
    const float* cols = x;
    if (!pointwise_) {
      im2col(x, geom_, col);
      cols = col;
    }
    // dW_g += dY_g * cols_g^T
    for (int g = 0; g < group_; ++g) {
      gemm(Trans::No, Trans::Yes, og, kg, s, 1.f, dy + static_cast<size_t>(g) * og * s,
           cols + static_cast<size_t>(g) * kg * s, 1.f, dw + static_cast<size_t>(g) * og * kg);
    }
  }
  if (dx) {
    // cols_g = W_g^T * dY_g, then folded back onto the image (the adjoint of im2col).
    float* target = pointwise_ ? dx : col;
    for (int g = 0; g < group_; ++g) {
      gemm(Trans::Yes, Trans::No, kg, s, og, 1.f, w + static_cast<size_t>(g) * og * kg,
           dy + static_cast<size_t>(g) * og * s, 0.f, target + static_cast<size_t>(g) * kg * s);
    }
    if (!pointwise_) {
      set(channels_ * geom_.height * geom_.width, 0.f, dx);
      col2im(col, geom_, dx);
    }
  }
}

struct ConvolutionLayer::CpuEngines {
  ConvEngineSelector selector;
#ifdef HWGQ_WITH_DNNL
  std::map<std::tuple<int, int, int, int, ConvBackwardPrecision>, std::unique_ptr<DnnlConvolution>> dnnl;
#endif
};

ConvolutionLayer::CpuEngines& ConvolutionLayer::cpu_engines() {
  if (!cpu_engines_) cpu_engines_ = std::make_shared<CpuEngines>();
  return *cpu_engines_;
}

namespace {

ConvEngineSelector::Shape engine_shape(int num, const Conv2dGeometry& geom, int num_output, int group, bool bias) {
  std::ostringstream convolution;
  convolution << geom.channels << " -> " << num_output << " channels, kernel " << geom.kernel_h << "x" << geom.kernel_w
              << ", stride " << geom.stride_h << "x" << geom.stride_w << ", pad " << geom.pad_h << "x" << geom.pad_w
              << ", dilation " << geom.dilation_h << "x" << geom.dilation_w << ", group " << group
              << (bias ? ", bias" : ", no bias");
  return {num, geom.height, geom.width, max_threads(), convolution.str()};
}

}  // namespace

#ifdef HWGQ_WITH_DNNL
// oneDNN's kernels split their work for the thread count they were made with, so that is
// part of the key.
DnnlConvolution& ConvolutionLayer::dnnl_convolution(ConvBackwardPrecision precision) {
  auto& made = cpu_engines().dnnl[std::make_tuple(num_, geom_.height, geom_.width, max_threads(), precision)];
  if (!made) made = std::make_unique<DnnlConvolution>(geom_, num_, num_output_, group_, bias_term_, precision);
  return *made;
}
#endif

void ConvolutionLayer::set_backward_precision(ConvBackwardPrecision precision) {
  std::string why;
  HWGQ_REQUIRE(precision == ConvBackwardPrecision::Float32 || conv_bf16_backward_available(&why),
               where() << "cannot run its backward passes in bfloat16: " << why);
  backward_precision_ = precision;
}

bool ConvolutionLayer::backward_bf16(const float* x, const float* dy, const float* w, float* dw, float* dx) {
#ifdef HWGQ_WITH_DNNL
  DnnlConvolution* bf16 = nullptr;
  try {
    bf16 = &dnnl_convolution(ConvBackwardPrecision::BFloat16);
    // Made before either pass writes, so that a shape oneDNN cannot run falls back to float
    // with the gradients untouched.
    bf16->make_backward(dw != nullptr, dx != nullptr);
  } catch (const Error& e) {
    LOG(WARNING) << where() << "backward passes back on float32, oneDNN cannot run them in bfloat16 on "
                 << shape_string({num_, channels_, geom_.height, geom_.width}) << ": " << e.what();
    backward_precision_ = ConvBackwardPrecision::Float32;
    return false;
  }
  if (dw) bf16->backward_weights(x, dy, dw);
  if (dx) bf16->backward_data(dy, w, dx);
  return true;
#else
  (void)x, (void)dy, (void)w, (void)dw, (void)dx;
  backward_precision_ = ConvBackwardPrecision::Float32;
  return false;
#endif
}

void ConvolutionLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* w = weights_for_forward();
  const float* bias = bias_term_ ? blobs_[1]->cpu_data() : nullptr;
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  cpu_engines().selector.run(
      name(), ConvPass::Forward, engine_shape(num_, geom_, num_output_, group_, bias_term_),
      [&] { forward_im2col(x, w, bias, y); },
      [&] {
#ifdef HWGQ_WITH_DNNL
        dnnl_convolution().forward(x, w, bias, y);
#endif
      },
      nullptr);
}

void ConvolutionLayer::forward_im2col(const float* x, const float* w, const float* bias, float* y) {
  const size_t in_step = static_cast<size_t>(channels_) * geom_.height * geom_.width;
  const size_t out_step = static_cast<size_t>(num_output_) * out_spatial_;
  const int threads = max_threads();
  const bool parallel = parallel_over_images(threads);
  Scratch& buffers = scratch();
  buffers.reserve(parallel ? threads : 1, column_size(), 0);
  if (parallel) {
    BlasSingleThreadScope single;
#pragma omp parallel num_threads(threads)
    {
      float* col = buffers.columns[thread_id()].data();
#pragma omp for schedule(static)
      for (int n = 0; n < num_; ++n) forward_image(x + n * in_step, w, bias, y + n * out_step, col);
    }
  } else {
    float* col = buffers.columns[0].data();
    for (int n = 0; n < num_; ++n) forward_image(x + n * in_step, w, bias, y + n * out_step, col);
  }
}

void ConvolutionLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                    const BlobVec& bottom) {
  const float* dy = top[0]->cpu_diff();
  const size_t out_step = static_cast<size_t>(num_output_) * out_spatial_;
  if (bias_term_ && param_propagate_down(1)) {
    float* db = blobs_[1]->mutable_cpu_diff();
    for (int n = 0; n < num_; ++n) {
      const float* dyn = dy + n * out_step;
      for (int o = 0; o < num_output_; ++o) {
        const float* row = dyn + static_cast<size_t>(o) * out_spatial_;
        float sum = 0.f;
        for (int i = 0; i < out_spatial_; ++i) sum += row[i];
        db[o] += sum;
      }
    }
  }
  const bool want_dw = param_propagate_down(0);
  const bool want_dx = propagate_down[0];
  if (!want_dw && !want_dx) return;

  const float* x = bottom[0]->cpu_data();
  const float* w = weights_for_backward();
  if (backward_precision_ == ConvBackwardPrecision::BFloat16 &&
      backward_bf16(x, dy, w, want_dw ? blobs_[0]->mutable_cpu_diff() : nullptr,
                    want_dx ? bottom[0]->mutable_cpu_diff() : nullptr)) {
    return;
  }
  const ConvEngineSelector::Shape shape = engine_shape(num_, geom_, num_output_, group_, bias_term_);
  if (want_dw) {
    float* dw = blobs_[0]->mutable_cpu_diff();
    // The weight gradient adds to the diff: while both engines are timed, each run starts
    // from the diff as it was (saved at the first reset, put back at the later ones).
    std::vector<float> before;
    const auto reset = [&] {
      if (before.empty()) {
        before.assign(dw, dw + blobs_[0]->count());
      } else {
        std::copy(before.begin(), before.end(), dw);
      }
    };
    cpu_engines().selector.run(
        name(), ConvPass::BackwardWeights, shape, [&] { backward_im2col(x, dy, w, dw, nullptr); },
        [&] {
#ifdef HWGQ_WITH_DNNL
          dnnl_convolution().backward_weights(x, dy, dw);
#endif
        },
        reset);
  }
  if (want_dx) {
    float* dx = bottom[0]->mutable_cpu_diff();
    cpu_engines().selector.run(
        name(), ConvPass::BackwardData, shape, [&] { backward_im2col(x, dy, w, nullptr, dx); },
        [&] {
#ifdef HWGQ_WITH_DNNL
          dnnl_convolution().backward_data(dy, w, dx);
#endif
        },
        nullptr);
  }
}

void ConvolutionLayer::backward_im2col(const float* x, const float* dy, const float* w, float* dw, float* dx) {
  const bool want_dw = dw != nullptr;
  const bool want_dx = dx != nullptr;
  const size_t out_step = static_cast<size_t>(num_output_) * out_spatial_;
  const size_t in_step = static_cast<size_t>(channels_) * geom_.height * geom_.width;
  const int threads = max_threads();
  const bool parallel = parallel_over_images(threads);
  Scratch& buffers = scratch();
  buffers.reserve(parallel ? threads : 1, column_size(), want_dw && parallel ? blobs_[0]->count() : 0);
  if (parallel) {
    const int weight_count = blobs_[0]->count();
    int team = 1;
    BlasSingleThreadScope single;
#pragma omp parallel num_threads(threads)
    {
      const int t = thread_id();
#ifdef _OPENMP
#pragma omp single
      team = omp_get_num_threads();
#endif
      float* col = buffers.columns[t].data();
      // The first thread adds straight into the diff, the others into their own sums,
      // which are added in thread order below so the result does not depend on timing.
      float* dw_t = nullptr;
      if (want_dw) {
        dw_t = t == 0 ? dw : buffers.weight_sums[t].data();
        if (t != 0) set(weight_count, 0.f, dw_t);
      }
#pragma omp for schedule(static)
      for (int n = 0; n < num_; ++n) {
        backward_image(x + n * in_step, dy + n * out_step, w, dw_t, want_dx ? dx + n * in_step : nullptr, col);
      }
    }
    if (want_dw) {
      for (int t = 1; t < team; ++t) axpy(weight_count, 1.f, buffers.weight_sums[t].data(), dw);
    }
  } else {
    float* col = buffers.columns[0].data();
    for (int n = 0; n < num_; ++n) {
      backward_image(x + n * in_step, dy + n * out_step, w, dw, want_dx ? dx + n * in_step : nullptr, col);
    }
  }
}

}  // namespace hwgq
