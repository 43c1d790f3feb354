// Image-to-column lowering for 2-d convolution (and its adjoint). One image (C x H x W)
// becomes a (C * kh * kw) x (out_h * out_w) matrix; padding reads as zero.
#pragma once

namespace hwgq {

struct Conv2dGeometry {
  int channels, height, width;
  int kernel_h, kernel_w;
  int pad_h, pad_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;

  int out_height() const { return (height + 2 * pad_h - (dilation_h * (kernel_h - 1) + 1)) / stride_h + 1; }
  int out_width() const { return (width + 2 * pad_w - (dilation_w * (kernel_w - 1) + 1)) / stride_w + 1; }
};

void im2col(const float* image, const Conv2dGeometry& g, float* columns);
// Accumulates the columns back into the image (which the caller zeroes first).
void col2im(const float* columns, const Conv2dGeometry& g, float* image);

}  // namespace hwgq
