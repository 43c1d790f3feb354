// Deploy-time convolution with packed 1-bit weights on packed low-bit activations (the
// HWGQ network's binary layers run as popcounts; paper 1.1 and 1.2). The result equals the
// float convolution of alpha * sign(W) with the Quant output up to the float path's own
// rounding: every dot product is exact integer arithmetic, scaled once per output.
//
// The instruction set comes from cpu_features.hpp (active_isa()); every path gives the
// same bits as the scalar one.
#pragma once

#include "hwgq/kernels/cpu_features.hpp"
#include "hwgq/kernels/packed_types.hpp"

namespace hwgq::kernels {

// Stride, padding, dilation and the output size of a 2-d convolution; the kernel size and
// channels come from the packed weights and activations.
struct ConvGeometry {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dilation_h = 1, dilation_w = 1;
  int out_h = 0, out_w = 0;
};

// Fills out_h / out_w for an input of height x width and a kernel_h x kernel_w kernel:
// (in + 2 pad - (dilation (kernel - 1) + 1)) / stride + 1; hwgq::Error when the kernel does
// not fit or a setting is not positive.
ConvGeometry make_conv_geometry(int height, int width, int kernel_h, int kernel_w, int stride_h, int stride_w,
                                int pad_h, int pad_w, int dilation_h, int dilation_w);

// Packs float weights out_channels x in_channels_per_group x kernel_h x kernel_w (a
// Convolution's blob; an inner product's N x K is K x 1 x 1) into sign bits, with
// alpha_o = mean |W[o,:]| (use_alpha, computed by binarize_rows) or 1.
PackedBinaryWeights pack_binary_weights(const float* w, int out_channels, int in_channels_per_group, int kernel_h,
                                        int kernel_w, int groups, bool use_alpha);

// Packs an N x C x H x W tensor whose values are all exactly 0 (either sign) or one of
// `levels` (a Quant layer's output) into planes, channels split into `groups` runs. Any
// other value, NaN included, raises hwgq::Error naming it and its position.
void pack_activations(const float* x, int n, int c, int h, int w, const ActivationLevels& levels,
                      PackedActivations* out, int groups = 1);

// A quantizer applied to each output as it leaves the accumulators (BatchNorm folded into
// the Quant after the convolution, docs/layers/quant.md): an output v of channel o becomes
// values[n], n = #{r : v >= cuts[r * channels + o]} (cuts ascending in r), i.e. the next
// Quant's output, computed from the exact value without storing v.
struct OutputCodes {
  const float* cuts = nullptr;    // rows x channels
  int rows = 0;
  int channels = 0;
  const float* values = nullptr;  // rows + 1 values: code 0 (below every cut) .. rows
};

// y (N x out_channels x out_h x out_w, NCHW) = conv(activations, alpha * sign(W)) + bias,
// or with `codes` each of those values mapped to its quantizer output while the tile is in
// cache. bias and codes may be null. hwgq::Error when the activations, weights, geometry
// and codes disagree. OpenMP spreads output tiles over the threads.
void binary_conv(const PackedActivations& activations, const PackedBinaryWeights& weights,
                 const ConvGeometry& geometry, const float* bias, float* y, const OutputCodes* codes = nullptr);

}  // namespace hwgq::kernels
