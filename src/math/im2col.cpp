#include "hwgq/math/im2col.hpp"

#include <cstddef>
#include <cstring>

namespace hwgq {

void im2col(const float* image, const Conv2dGeometry& g, float* columns) {
  const int out_h = g.out_height();
  const int out_w = g.out_width();
  const int plane = g.height * g.width;
  for (int c = 0; c < g.channels; ++c) {
    const float* channel = image + c * plane;
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        float* row = columns + ((c * g.kernel_h + kh) * g.kernel_w + kw) * out_h * out_w;
        const int x_offset = kw * g.dilation_w - g.pad_w;
        for (int oh = 0; oh < out_h; ++oh) {
          const int y = oh * g.stride_h + kh * g.dilation_h - g.pad_h;
          float* out = row + oh * out_w;
          if (y < 0 || y >= g.height) {
            std::memset(out, 0, sizeof(float) * out_w);
            continue;
          }
          const float* in = channel + y * g.width;
          if (g.stride_w == 1) {
            // Contiguous run: copy the valid middle, zero the padded ends.
            int ow = 0;
            for (; ow < out_w && ow + x_offset < 0; ++ow) out[ow] = 0.f;
            int end = out_w;
            while (end > ow && end - 1 + x_offset >= g.width) --end;
            if (end > ow) std::memcpy(out + ow, in + ow + x_offset, sizeof(float) * (end - ow));
            for (int i = end; i < out_w; ++i) out[i] = 0.f;
          } else {
            // Strided: zero the padded ends, then a branch-free strided copy of the middle.
            int begin = 0;
            while (begin < out_w && begin * g.stride_w + x_offset < 0) out[begin++] = 0.f;
            int end = out_w;
            while (end > begin && (end - 1) * g.stride_w + x_offset >= g.width) out[--end] = 0.f;
            const float* source = in + x_offset;
            const int stride = g.stride_w;
            for (int ow = begin; ow < end; ++ow) out[ow] = source[static_cast<ptrdiff_t>(ow) * stride];
          }
        }
      }
    }
  }
}

void col2im(const float* columns, const Conv2dGeometry& g, float* image) {
  const int out_h = g.out_height();
  const int out_w = g.out_width();
  const int plane = g.height * g.width;
  for (int c = 0; c < g.channels; ++c) {
    float* channel = image + c * plane;
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      for (int kw = 0; kw < g.kernel_w; ++kw) {
        const float* row = columns + ((c * g.kernel_h + kh) * g.kernel_w + kw) * out_h * out_w;
        const int x_offset = kw * g.dilation_w - g.pad_w;
        for (int oh = 0; oh < out_h; ++oh) {
          const int y = oh * g.stride_h + kh * g.dilation_h - g.pad_h;
          if (y < 0 || y >= g.height) continue;
          float* out = channel + y * g.width;
          const float* in = row + oh * out_w;
          for (int ow = 0; ow < out_w; ++ow) {
            const int x = ow * g.stride_w + x_offset;
            if (x >= 0 && x < g.width) out[x] += in[ow];
          }
        }
      }
    }
  }
}

}  // namespace hwgq
