// Reading convolution_param's kernel, stride, pad and dilation, shared by every layer that
// takes it (Convolution, BinaryConvolution, PackedBinaryConvolution).
#pragma once

#include <string>

#include "hwgq/blob.hpp"
#include "hwgq/math/im2col.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

// Fills kernel_h/w, stride_h/w, pad_h/w and dilation_h/w of *geom from p (each either as
// the repeated field or its _h/_w pair) and checks them; hwgq::Error prefixed by `where`
// otherwise. The other fields of *geom are left alone.
void read_conv_geometry(const ConvolutionParameter& p, const std::string& where, Conv2dGeometry* geom);

// The checks every convolution layer makes before reading its geometry: num_output > 0,
// axis 1, a 4-d bottom, group > 0.
void check_conv_param(const ConvolutionParameter& p, const std::string& where, const Blob& bottom);

}  // namespace hwgq
