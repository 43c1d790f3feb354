#include "hwgq/layers/pooling_layer.hpp"

#include <algorithm>
#include <cfloat>

#include "hwgq/math/blas.hpp"

namespace hwgq {

void PoolingLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const PoolingParameter& p = param_.pooling_param();
  const std::string at = where();
  HWGQ_REQUIRE(p.pool() != PoolingParameter::STOCHASTIC,
               at << "STOCHASTIC pooling is not supported; use MAX or AVE");
  is_max_ = p.pool() == PoolingParameter::MAX;
  global_ = p.global_pooling();
  ceil_mode_ = p.round_mode() == PoolingParameter::CEIL;
  HWGQ_REQUIRE(bottom[0]->num_axes() == 4, at << "needs a 4-d bottom (N x C x H x W), got " << bottom[0]->shape_string());

  const bool has_kernel = p.has_kernel_size() || p.has_kernel_h() || p.has_kernel_w();
  if (global_) {
    HWGQ_REQUIRE(!has_kernel, at << "global_pooling takes its kernel from the bottom; remove kernel_size/kernel_h/kernel_w");
  } else {
    HWGQ_REQUIRE(has_kernel, at << "needs kernel_size (or kernel_h and kernel_w), or global_pooling: true");
    if (p.has_kernel_size()) {
      HWGQ_REQUIRE(!p.has_kernel_h() && !p.has_kernel_w(), at << "give either kernel_size or kernel_h/kernel_w, not both");
      kernel_h_ = kernel_w_ = static_cast<int>(p.kernel_size());
    } else {
      HWGQ_REQUIRE(p.has_kernel_h() && p.has_kernel_w(), at << "give both kernel_h and kernel_w");
      kernel_h_ = static_cast<int>(p.kernel_h());
      kernel_w_ = static_cast<int>(p.kernel_w());
    }
    HWGQ_REQUIRE(kernel_h_ > 0 && kernel_w_ > 0, at << "kernel size must be > 0, got " << kernel_h_ << " x " << kernel_w_);
  }
  if (p.has_pad_h() || p.has_pad_w()) {
    HWGQ_REQUIRE(!p.has_pad(), at << "give either pad or pad_h/pad_w, not both");
    pad_h_ = static_cast<int>(p.pad_h());
    pad_w_ = static_cast<int>(p.pad_w());
  } else {
    pad_h_ = pad_w_ = static_cast<int>(p.pad());
  }
  if (p.has_stride_h() || p.has_stride_w()) {
    HWGQ_REQUIRE(!p.has_stride(), at << "give either stride or stride_h/stride_w, not both");
    HWGQ_REQUIRE(p.has_stride_h() && p.has_stride_w(), at << "give both stride_h and stride_w");
    stride_h_ = static_cast<int>(p.stride_h());
    stride_w_ = static_cast<int>(p.stride_w());
  } else {
    stride_h_ = stride_w_ = static_cast<int>(p.stride());
  }
  // The proto fields are unsigned; values past INT_MAX would come out negative here.
  HWGQ_REQUIRE(pad_h_ >= 0 && pad_w_ >= 0, at << "pad is out of range");
  HWGQ_REQUIRE(stride_h_ > 0 && stride_w_ > 0, at << "stride must be > 0, got " << stride_h_ << " x " << stride_w_);
  if (global_) {
    HWGQ_REQUIRE(pad_h_ == 0 && pad_w_ == 0 && stride_h_ == 1 && stride_w_ == 1,
                 at << "global_pooling needs pad 0 and stride 1, got pad " << pad_h_ << " x " << pad_w_ << ", stride "
                    << stride_h_ << " x " << stride_w_);
  } else {
    // A window lying wholly in the padding would have nothing to pool.
    HWGQ_REQUIRE(pad_h_ < kernel_h_ && pad_w_ < kernel_w_,
                 at << "pad (" << pad_h_ << " x " << pad_w_ << ") must be smaller than the kernel (" << kernel_h_ << " x "
                    << kernel_w_ << ")");
  }
}

int PoolingLayer::pooled_size(int in, int kernel, int pad, int stride) const {
  const int span = in + 2 * pad - kernel;
  int pooled = (ceil_mode_ ? (span + stride - 1) / stride : span / stride) + 1;
  // Drop a last window that would start at or past the end of the bottom (only possible
  // with padding, or with a kernel smaller than the stride), so every window covers at
  // least one real input.
  if ((pooled - 1) * stride >= in + pad) --pooled;
  return pooled;
}

void PoolingLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  HWGQ_REQUIRE(x.num_axes() == 4, where() << "needs a 4-d bottom (N x C x H x W), got " << x.shape_string());
  num_ = x.shape(0);
  channels_ = x.shape(1);
  height_ = x.shape(2);
  width_ = x.shape(3);
  if (global_) {
    kernel_h_ = height_;
    kernel_w_ = width_;
  }
  HWGQ_REQUIRE(kernel_h_ <= height_ + 2 * pad_h_ && kernel_w_ <= width_ + 2 * pad_w_,
               where() << "the kernel (" << kernel_h_ << " x " << kernel_w_ << ") is larger than the padded bottom "
                       << x.shape_string() << " with pad " << pad_h_ << " x " << pad_w_);
  pooled_h_ = pooled_size(height_, kernel_h_, pad_h_, stride_h_);
  pooled_w_ = pooled_size(width_, kernel_w_, pad_w_, stride_w_);
  top[0]->reshape({num_, channels_, pooled_h_, pooled_w_});
  if (top.size() > 1) top[1]->reshape_like(*top[0]);
  if (is_max_ && top.size() == 1) argmax_.resize(top[0]->count());
}

// Max pooling values in the order the tracking loop visits them (rows, then columns), with
// a select instead of a branch: v > best ? v : best keeps the first of equal values and
// never takes a NaN, exactly as the tracking loop does.
void PoolingLayer::max_pool_values_cpu(const float* x, float* y) const {
  const int planes = num_ * channels_;
  const int in_plane = height_ * width_;
  const int out_plane = pooled_h_ * pooled_w_;
#pragma omp parallel for schedule(static) if (static_cast<long long>(planes) * in_plane > (1 << 15))
  for (int plane = 0; plane < planes; ++plane) {
    const float* xp = x + static_cast<size_t>(plane) * in_plane;
    float* yp = y + static_cast<size_t>(plane) * out_plane;
    for (int ph = 0; ph < pooled_h_; ++ph) {
      float* yrow = yp + static_cast<size_t>(ph) * pooled_w_;
      for (int pw = 0; pw < pooled_w_; ++pw) yrow[pw] = -FLT_MAX;
      const int h0 = std::max(ph * stride_h_ - pad_h_, 0);
      const int h1 = std::min(ph * stride_h_ - pad_h_ + kernel_h_, height_);
      // Columns whose window lies inside the row: the window offset kw is the outer loop, so
      // the inner one runs over outputs with a fixed stride (it vectorises); the order in
      // which one output meets its inputs is still row-major, columns ascending.
      const int inner_begin = std::min(pooled_w_, (pad_w_ + stride_w_ - 1) / stride_w_);
      int inner_end = inner_begin;
      while (inner_end < pooled_w_ && inner_end * stride_w_ - pad_w_ + kernel_w_ <= width_) ++inner_end;
      for (int h = h0; h < h1; ++h) {
        const float* xr = xp + static_cast<size_t>(h) * width_;
        for (int pw = 0; pw < pooled_w_; ++pw) {
          if (pw == inner_begin) pw = inner_end;
          if (pw >= pooled_w_) break;
          const int w0 = std::max(pw * stride_w_ - pad_w_, 0);
          const int w1 = std::min(pw * stride_w_ - pad_w_ + kernel_w_, width_);
          float best = yrow[pw];
          for (int w = w0; w < w1; ++w) best = xr[w] > best ? xr[w] : best;
          yrow[pw] = best;
        }
        for (int kw = 0; kw < kernel_w_; ++kw) {
          const float* xk = xr + kw - pad_w_;
          for (int pw = inner_begin; pw < inner_end; ++pw) {
            const float v = xk[static_cast<size_t>(pw) * stride_w_];
            yrow[pw] = v > yrow[pw] ? v : yrow[pw];
          }
        }
      }
    }
  }
}

void PoolingLayer::track_max_positions_cpu(const float* x, float* y, int* argmax, float* mask) const {
  const int planes = num_ * channels_;
  const int in_plane = height_ * width_;
  const int out_plane = pooled_h_ * pooled_w_;
#pragma omp parallel for schedule(static) if (static_cast<long long>(planes) * in_plane > (1 << 15))
  for (int plane = 0; plane < planes; ++plane) {
    const float* xp = x + static_cast<size_t>(plane) * in_plane;
    const size_t out_offset = static_cast<size_t>(plane) * out_plane;
    for (int ph = 0; ph < pooled_h_; ++ph) {
      const int h0 = std::max(ph * stride_h_ - pad_h_, 0);
      const int h1 = std::min(ph * stride_h_ - pad_h_ + kernel_h_, height_);
      for (int pw = 0; pw < pooled_w_; ++pw) {
        const int w0 = std::max(pw * stride_w_ - pad_w_, 0);
        const int w1 = std::min(pw * stride_w_ - pad_w_ + kernel_w_, width_);
        // The first maximum in row-major order wins ties.
        float best = -FLT_MAX;
        int best_at = h0 * width_ + w0;
        for (int h = h0; h < h1; ++h) {
          for (int w = w0; w < w1; ++w) {
            const float v = xp[h * width_ + w];
            if (v > best) {
              best = v;
              best_at = h * width_ + w;
            }
          }
        }
        const size_t o = out_offset + ph * pooled_w_ + pw;
        y[o] = best;
        if (argmax) argmax[o] = best_at;
        if (mask) mask[o] = static_cast<float>(best_at);
      }
    }
  }
}

void PoolingLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  const int planes = num_ * channels_;
  const int in_plane = height_ * width_;
  const int out_plane = pooled_h_ * pooled_w_;
  if (is_max_ && phase() == TEST && top.size() == 1) {
    // Inference: the values only. The positions a backward pass needs are found again then
    // (argmax_valid_), so a forward-only net never pays for tracking them.
    max_pool_values_cpu(x, y);
    argmax_valid_ = false;
    return;
  }
  if (is_max_) {
    track_max_positions_cpu(x, y, top.size() == 1 ? argmax_.data() : nullptr,
                            top.size() > 1 ? top[1]->mutable_cpu_data() : nullptr);
    argmax_valid_ = true;
  } else {
#pragma omp parallel for schedule(static) if (static_cast<long long>(planes) * in_plane > (1 << 15))
    for (int plane = 0; plane < planes; ++plane) {
      const float* xp = x + static_cast<size_t>(plane) * in_plane;
      float* yp = y + static_cast<size_t>(plane) * out_plane;
      for (int ph = 0; ph < pooled_h_; ++ph) {
        const int hs = ph * stride_h_ - pad_h_;
        const int he = std::min(hs + kernel_h_, height_ + pad_h_);
        const int h0 = std::max(hs, 0);
        const int h1 = std::min(he, height_);
        for (int pw = 0; pw < pooled_w_; ++pw) {
          const int ws = pw * stride_w_ - pad_w_;
          const int we = std::min(ws + kernel_w_, width_ + pad_w_);
          // The divisor counts padded positions inside the padded extent (padding acts as
          // zeros), as Caffe does.
          const int window = (he - hs) * (we - ws);
          const int w0 = std::max(ws, 0);
          const int w1 = std::min(we, width_);
          float sum = 0.f;
          for (int h = h0; h < h1; ++h) {
            for (int w = w0; w < w1; ++w) sum += xp[h * width_ + w];
          }
          yp[ph * pooled_w_ + pw] = sum / window;
        }
      }
    }
  }
}

void PoolingLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
  const int planes = num_ * channels_;
  const int in_plane = height_ * width_;
  const int out_plane = pooled_h_ * pooled_w_;
  set(bottom[0]->count(), 0.f, dx);
  if (is_max_ && top.size() == 1 && !argmax_valid_) {
    // The forward took the values-only path: find the positions now.
    std::vector<float> values(top[0]->count());
    track_max_positions_cpu(bottom[0]->cpu_data(), values.data(), argmax_.data(), nullptr);
    argmax_valid_ = true;
  }
  if (is_max_) {
    const int* argmax = top.size() == 1 ? argmax_.data() : nullptr;
    const float* mask = top.size() > 1 ? top[1]->cpu_data() : nullptr;
#pragma omp parallel for schedule(static) if (static_cast<long long>(planes) * in_plane > (1 << 15))
    for (int plane = 0; plane < planes; ++plane) {
      float* dxp = dx + static_cast<size_t>(plane) * in_plane;
      const size_t out_offset = static_cast<size_t>(plane) * out_plane;
      for (int i = 0; i < out_plane; ++i) {
        const size_t o = out_offset + i;
        const int at = argmax ? argmax[o] : static_cast<int>(mask[o]);
        dxp[at] += dy[o];
      }
    }
  } else {
#pragma omp parallel for schedule(static) if (static_cast<long long>(planes) * in_plane > (1 << 15))
    for (int plane = 0; plane < planes; ++plane) {
      float* dxp = dx + static_cast<size_t>(plane) * in_plane;
      const float* dyp = dy + static_cast<size_t>(plane) * out_plane;
      for (int ph = 0; ph < pooled_h_; ++ph) {
        const int hs = ph * stride_h_ - pad_h_;
        const int he = std::min(hs + kernel_h_, height_ + pad_h_);
        const int h0 = std::max(hs, 0);
        const int h1 = std::min(he, height_);
        for (int pw = 0; pw < pooled_w_; ++pw) {
          const int ws = pw * stride_w_ - pad_w_;
          const int we = std::min(ws + kernel_w_, width_ + pad_w_);
          const float g = dyp[ph * pooled_w_ + pw] / ((he - hs) * (we - ws));
          const int w0 = std::max(ws, 0);
          const int w1 = std::min(we, width_);
          for (int h = h0; h < h1; ++h) {
            for (int w = w0; w < w1; ++w) dxp[h * width_ + w] += g;
          }
        }
      }
    }
  }
}

}  // namespace hwgq
