#include "hwgq/layers/lrn_layer.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace hwgq {

namespace {

constexpr int kParallelMin = 1 << 15;
// ACROSS_CHANNELS work is split into runs of this many positions of one sample, so that
// every thread walks all channels of a cache-sized strip.
constexpr int kStrip = 1024;

// out[h][w] = sum of in over the (2 * half + 1)^2 square around (h, w), zero padded.
// `row` holds width floats of scratch.
void box_sum(const float* in, int height, int width, int half, float* out, float* row) {
  for (int h = 0; h < height; ++h) {
    const int h0 = std::max(h - half, 0), h1 = std::min(h + half, height - 1);
    std::fill(row, row + width, 0.f);
    for (int hh = h0; hh <= h1; ++hh) {
      const float* r = in + size_t(hh) * width;
      for (int w = 0; w < width; ++w) row[w] += r[w];
    }
    float* o = out + size_t(h) * width;
    for (int w = 0; w < width; ++w) {
      const int w0 = std::max(w - half, 0), w1 = std::min(w + half, width - 1);
      float sum = 0.f;
      for (int ww = w0; ww <= w1; ++ww) sum += row[ww];
      o[w] = sum;
    }
  }
}

}  // namespace

void LRNLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const LRNParameter& p = param_.lrn_param();
  HWGQ_REQUIRE(p.local_size() % 2 == 1, where() << "local_size must be odd, got " << p.local_size());
  size_ = static_cast<int>(p.local_size());
  half_ = (size_ - 1) / 2;
  alpha_ = p.alpha();
  beta_ = p.beta();
  k_ = p.k();
  across_ = p.norm_region() == LRNParameter::ACROSS_CHANNELS;
}

void LRNLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  const Blob& x = *bottom[0];
  HWGQ_REQUIRE(x.num_axes() == 4, where() << "needs a 4-axis N x C x H x W bottom, got " << x.shape_string());
  HWGQ_REQUIRE(bottom[0] != top[0], where() << "cannot run in place: backward needs both input and output");
  num_ = x.num();
  channels_ = x.channels();
  height_ = x.height();
  width_ = x.width();
  top[0]->reshape_like(x);
  scale_.reshape_like(x);
}

float LRNLayer::inverse_power(float scale) const {
  if (beta_ == 0.75f) {
    const float root = std::sqrt(scale);
    return 1.f / (root * std::sqrt(root));
  }
  return std::pow(scale, -beta_);
}

void LRNLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  if (across_) {
    forward_across(bottom[0]->cpu_data(), top[0]->mutable_cpu_data());
  } else {
    forward_within(bottom[0]->cpu_data(), top[0]->mutable_cpu_data());
  }
}

void LRNLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const float* x = bottom[0]->cpu_data();
  const float* y = top[0]->cpu_data();
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
  if (across_) {
    backward_across(x, y, dy, dx);
  } else {
    backward_within(x, y, dy, dx);
  }
}

// The window sum over channels slides: entering channel c + half adds its square, leaving
// channel c - half removes it, so the cost does not grow with local_size.
void LRNLayer::forward_across(const float* x, float* y) {
  float* scale = scale_.mutable_cpu_data();
  const int plane = height_ * width_;
  const int strips = (plane + kStrip - 1) / kStrip;
  const int tasks = num_ * strips;
  const int channels = channels_, half = half_;
  const float coef = alpha_ / size_, k = k_;
#pragma omp parallel if (size_t(num_) * channels * plane >= size_t(kParallelMin))
  {
    std::vector<float> window(std::min(plane, kStrip));
#pragma omp for schedule(static)
    for (int t = 0; t < tasks; ++t) {
      const int n = t / strips;
      const int begin = (t % strips) * kStrip;
      const int len = std::min(kStrip, plane - begin);
      const size_t base = size_t(n) * channels * plane + begin;
      const float* xs = x + base;
      float* acc = window.data();
      std::fill(acc, acc + len, 0.f);
      for (int c = 0; c < std::min(half, channels); ++c) {
        const float* xc = xs + size_t(c) * plane;
        for (int i = 0; i < len; ++i) acc[i] += xc[i] * xc[i];
      }
      for (int c = 0; c < channels; ++c) {
        if (c + half < channels) {
          const float* xin = xs + size_t(c + half) * plane;
          for (int i = 0; i < len; ++i) acc[i] += xin[i] * xin[i];
        }
        const size_t off = base + size_t(c) * plane;
        for (int i = 0; i < len; ++i) {
          // Adding and removing squares of very different sizes can leave a rounding
          // residue below zero where the true sum is a tiny positive number.
          const float s = k + coef * std::max(acc[i], 0.f);
          scale[off + i] = s;
          y[off + i] = x[off + i] * inverse_power(s);
        }
        if (c - half >= 0) {
          const float* xout = xs + size_t(c - half) * plane;
          for (int i = 0; i < len; ++i) acc[i] -= xout[i] * xout[i];
        }
      }
    }
  }
}

// dx_c = dy_c * scale_c^-beta - 2 alpha beta / n * x_c * sum over the window around c of
// dy * y / scale (the window is symmetric, so "windows containing c" is "window around c").
void LRNLayer::backward_across(const float* x, const float* y, const float* dy, float* dx) const {
  const float* scale = scale_.cpu_data();
  const int plane = height_ * width_;
  const int strips = (plane + kStrip - 1) / kStrip;
  const int tasks = num_ * strips;
  const int channels = channels_, half = half_;
  const float coef = 2.f * alpha_ * beta_ / size_;
#pragma omp parallel if (size_t(num_) * channels * plane >= size_t(kParallelMin))
  {
    std::vector<float> window(std::min(plane, kStrip));
#pragma omp for schedule(static)
    for (int t = 0; t < tasks; ++t) {
      const int n = t / strips;
      const int begin = (t % strips) * kStrip;
      const int len = std::min(kStrip, plane - begin);
      const size_t base = size_t(n) * channels * plane + begin;
      float* acc = window.data();
      std::fill(acc, acc + len, 0.f);
      auto add_ratio = [&](int c, float sign) {
        const size_t off = base + size_t(c) * plane;
        for (int i = 0; i < len; ++i) acc[i] += sign * dy[off + i] * y[off + i] / scale[off + i];
      };
      for (int c = 0; c < std::min(half, channels); ++c) add_ratio(c, 1.f);
      for (int c = 0; c < channels; ++c) {
        if (c + half < channels) add_ratio(c + half, 1.f);
        const size_t off = base + size_t(c) * plane;
        for (int i = 0; i < len; ++i)
          dx[off + i] = dy[off + i] * inverse_power(scale[off + i]) - coef * x[off + i] * acc[i];
        if (c - half >= 0) add_ratio(c - half, -1.f);
      }
    }
  }
}

void LRNLayer::forward_within(const float* x, float* y) {
  float* scale = scale_.mutable_cpu_data();
  const int plane = height_ * width_;
  const int planes = num_ * channels_;
  const float coef = alpha_ / (float(size_) * size_), k = k_;
#pragma omp parallel if (size_t(planes) * plane >= size_t(kParallelMin))
  {
    std::vector<float> squares(plane), row(width_);
#pragma omp for schedule(static)
    for (int p = 0; p < planes; ++p) {
      const size_t off = size_t(p) * plane;
      for (int i = 0; i < plane; ++i) squares[i] = x[off + i] * x[off + i];
      float* s = scale + off;
      box_sum(squares.data(), height_, width_, half_, s, row.data());
      for (int i = 0; i < plane; ++i) {
        s[i] = k + coef * s[i];
        y[off + i] = x[off + i] * inverse_power(s[i]);
      }
    }
  }
}

// As across channels, with the n x n square as the window and alpha / n^2 as the factor.
void LRNLayer::backward_within(const float* x, const float* y, const float* dy, float* dx) const {
  const float* scale = scale_.cpu_data();
  const int plane = height_ * width_;
  const int planes = num_ * channels_;
  const float coef = 2.f * alpha_ * beta_ / (float(size_) * size_);
#pragma omp parallel if (size_t(planes) * plane >= size_t(kParallelMin))
  {
    std::vector<float> ratio(plane), sums(plane), row(width_);
#pragma omp for schedule(static)
    for (int p = 0; p < planes; ++p) {
      const size_t off = size_t(p) * plane;
      for (int i = 0; i < plane; ++i) ratio[i] = dy[off + i] * y[off + i] / scale[off + i];
      box_sum(ratio.data(), height_, width_, half_, sums.data(), row.data());
      for (int i = 0; i < plane; ++i)
        dx[off + i] = dy[off + i] * inverse_power(scale[off + i]) - coef * x[off + i] * sums[i];
    }
  }
}

}  // namespace hwgq
