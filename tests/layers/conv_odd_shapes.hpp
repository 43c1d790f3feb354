// Convolution geometries that exercise the corners of a CPU convolution engine (odd sizes,
// stride, padding, dilation, groups, 1x1, no bias), and the layer parameters for them,
// shared by the tests that compare the engines and the precisions with each other.
#pragma once

#include <string>
#include <vector>

#include "hwgq/proto/hwgq.pb.h"
#include "hwgq/util/io.hpp"

namespace hwgq::test {

struct ConvShape {
  const char* what;
  int channels, height, width;
  std::string conv;  // convolution_param fields
};

inline const std::vector<ConvShape>& odd_conv_shapes() {
  static const std::vector<ConvShape> shapes = {
      {"3x3 pad 1", 5, 9, 7, "num_output: 7 kernel_size: 3 pad: 1"},
      {"5x3 stride 2x1 pad 2x0", 4, 11, 6, "num_output: 6 kernel_h: 5 kernel_w: 3 stride_h: 2 stride_w: 1 pad_h: 2 pad_w: 0"},
      {"3x3 dilation 2", 3, 10, 9, "num_output: 5 kernel_size: 3 pad: 2 dilation: 2"},
      {"3x3 group 3 stride 2", 6, 9, 8, "num_output: 9 kernel_size: 3 stride: 2 pad: 1 group: 3"},
      {"depthwise", 8, 7, 7, "num_output: 8 kernel_size: 3 pad: 1 group: 8"},
      {"1x1", 16, 6, 5, "num_output: 32 kernel_size: 1"},
      {"1x1 stride 2", 16, 7, 7, "num_output: 8 kernel_size: 1 stride: 2"},
      {"11x11 stride 4 (AlexNet conv1)", 3, 39, 43, "num_output: 16 kernel_size: 11 stride: 4"},
      {"5x5 (LeNet conv2)", 20, 12, 12, "num_output: 50 kernel_size: 5"},
      {"no bias", 4, 6, 6, "num_output: 4 kernel_size: 2 bias_term: false"},
      {"wide 3x3", 32, 8, 8, "num_output: 48 kernel_size: 3 pad: 1"},
  };
  return shapes;
}

// A layer of `type` (Convolution, BinaryConvolution) named "conv" with the
// convolution_param fields `conv`, Gaussian weights and uniform biases, and `extra` fields.
inline LayerParameter conv_layer_param(const std::string& type, const std::string& conv,
                                       const std::string& extra = "") {
  LayerParameter param;
  parse_text_proto("name: \"conv\" type: \"" + type + "\" convolution_param { " + conv +
                       " weight_filler { type: \"gaussian\" std: 0.3 } bias_filler { type: \"uniform\" min: -1 max: 1 "
                       "} } " +
                       extra,
                   "test", &param);
  return param;
}

}  // namespace hwgq::test
