// Convolution and BinaryConvolution (cuDNN) against the CPU's im2col + GEMM, on odd
// shapes: 13 input channels, 7 x 5 images, padding, strides, dilation and groups.
// cuDNN may pick FFT or Winograd algorithms, whose rounding differs from a direct sum, so
// the tolerances are relative 2e-4 (forward) and 5e-4 (gradients summed over the batch).
#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

using test::compare_layer;
using test::CompareOptions;
using test::layer_from_text;

CompareOptions conv_options() {
  CompareOptions options;
  options.forward_tolerance = 2e-4f;
  options.backward_tolerance = 5e-4f;
  return options;
}

const char* const kFillers =
    "weight_filler { type: 'gaussian' std: 0.3 } bias_filler { type: 'gaussian' std: 1 } ";

TEST(GpuConvolution, MatchesCpuOnOddShapes) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 81);
  const char* geometries[] = {
      "num_output: 6 kernel_size: 3 pad: 1",
      "num_output: 5 kernel_size: 3 stride: 2",
      "num_output: 4 kernel_h: 3 kernel_w: 2 pad_h: 2 pad_w: 0 stride_h: 1 stride_w: 2",
      "num_output: 3 kernel_size: 1",
      "num_output: 4 kernel_size: 3 dilation: 2 pad: 2",
      "num_output: 2 kernel_size: 5 pad: 2 bias_term: false",
  };
  for (const char* geometry : geometries) {
    SCOPED_TRACE(geometry);
    compare_layer(layer_from_text(std::string("name: 'conv' type: 'Convolution' convolution_param { ") + geometry +
                                  " " + (std::string(geometry).find("bias_term") == std::string::npos ? kFillers : "") +
                                  "}"),
                  {&x}, conv_options());
  }
}

TEST(GpuConvolution, GroupsMatchCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({2, 12, 7, 5});
  test::fill_gaussian(&x, 82);
  compare_layer(layer_from_text(std::string("name: 'conv' type: 'Convolution' convolution_param { num_output: 9 "
                                            "kernel_size: 3 pad: 1 group: 3 ") +
                                kFillers + "}"),
                {&x}, conv_options());
}

TEST(GpuConvolution, ShapeChangeChoosesAgain) {
  HWGQ_REQUIRE_GPU();
  // The second shape gets its own descriptors and algorithms; compare both.
  Blob small({2, 13, 7, 5}), large({5, 13, 11, 9});
  test::fill_gaussian(&small, 83);
  test::fill_gaussian(&large, 84);
  const LayerParameter param = layer_from_text(
      std::string("name: 'conv' type: 'Convolution' convolution_param { num_output: 7 kernel_size: 3 pad: 1 ") +
      kFillers + "}");
  compare_layer(param, {&small}, conv_options());
  compare_layer(param, {&large}, conv_options());
}

TEST(GpuBinaryConvolution, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 85);
  for (const char* binary : {"use_alpha: true", "use_alpha: false", "use_binarization: false"}) {
    SCOPED_TRACE(binary);
    compare_layer(layer_from_text(std::string("name: 'bconv' type: 'BinaryConvolution' convolution_param { "
                                              "num_output: 6 kernel_size: 3 pad: 1 stride: 2 ") +
                                  kFillers + "} binary_convolution_param { " + binary + " }"),
                  {&x}, conv_options());
  }
}

TEST(GpuInnerProduct, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({9, 13, 7, 5});
  test::fill_gaussian(&x, 86);
  CompareOptions options;
  options.forward_tolerance = 1e-4f;
  options.backward_tolerance = 1e-4f;
  compare_layer(layer_from_text(std::string("name: 'ip' type: 'InnerProduct' inner_product_param { num_output: 11 ") +
                                kFillers + "}"),
                {&x}, options);
  compare_layer(layer_from_text(std::string("name: 'ip' type: 'InnerProduct' inner_product_param { num_output: 11 "
                                            "transpose: true ") +
                                kFillers + "}"),
                {&x}, options);
  compare_layer(layer_from_text(std::string("name: 'ip' type: 'InnerProduct' inner_product_param { num_output: 6 "
                                            "axis: 2 bias_term: false weight_filler { type: 'gaussian' std: 0.3 } }")),
                {&x}, options);
}

TEST(GpuBinaryInnerProduct, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({9, 13, 7, 5});
  test::fill_gaussian(&x, 87);
  CompareOptions options;
  options.forward_tolerance = 1e-4f;
  options.backward_tolerance = 1e-4f;
  for (const char* binary : {"use_alpha: true", "use_alpha: false", "use_binarization: false"}) {
    SCOPED_TRACE(binary);
    compare_layer(layer_from_text(std::string("name: 'bip' type: 'BinaryInnerProduct' inner_product_param { "
                                              "num_output: 10 ") +
                                  kFillers + "} binary_inner_product_param { " + binary + " }"),
                  {&x}, options);
  }
}

}  // namespace
}  // namespace hwgq
