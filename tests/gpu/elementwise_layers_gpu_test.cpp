// GPU against CPU for ReLU, Sigmoid, TanH, Split, Flatten and Reshape on odd shapes
// (13 channels, 7 x 5).
#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

using test::compare_layer;
using test::CompareOptions;
using test::layer_from_text;

TEST(GpuReLU, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 1);
  for (const char* slope : {"0", "0.1"}) {
    for (bool in_place : {false, true}) {
      SCOPED_TRACE(std::string("slope ") + slope + (in_place ? " in place" : ""));
      CompareOptions options;
      options.in_place = in_place;
      options.forward_tolerance = 0.f;  // one multiply, exact
      options.backward_tolerance = 0.f;
      compare_layer(layer_from_text(std::string("name: 'relu' type: 'ReLU' relu_param { negative_slope: ") + slope +
                                    " }"),
                    {&x}, options);
    }
  }
}

TEST(GpuSigmoidTanH, MatchCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 4, 0.f, 3.f);
  for (const char* type : {"Sigmoid", "TanH"}) {
    for (bool in_place : {false, true}) {
      SCOPED_TRACE(std::string(type) + (in_place ? " in place" : ""));
      CompareOptions options;
      options.in_place = in_place;
      // tanhf on the GPU and std::tanh on the CPU may differ in the last bit or two.
      options.forward_tolerance = 1e-6f;
      options.backward_tolerance = 1e-6f;
      compare_layer(layer_from_text(std::string("name: 'act' type: '") + type + "'"), {&x}, options);
    }
  }
}

TEST(GpuReshape, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({2, 13, 7, 5});
  test::fill_gaussian(&x, 5);
  CompareOptions options;
  options.forward_tolerance = 0.f;
  options.backward_tolerance = 0.f;
  compare_layer(layer_from_text("name: 'r' type: 'Reshape' reshape_param { shape { dim: 0 dim: -1 dim: 5 } }"), {&x},
                options);
}

TEST(GpuSplit, SumsGradientsLikeCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({2, 13, 7, 5});
  test::fill_gaussian(&x, 2);
  CompareOptions options;
  options.forward_tolerance = 0.f;
  options.backward_tolerance = 1e-6f;
  compare_layer(layer_from_text("name: 'split' type: 'Split' top: 'a' top: 'b' top: 'c'"), {&x}, options);
}

TEST(GpuFlatten, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({2, 13, 7, 5});
  test::fill_gaussian(&x, 3);
  CompareOptions options;
  options.forward_tolerance = 0.f;
  options.backward_tolerance = 0.f;
  compare_layer(layer_from_text("name: 'flat' type: 'Flatten'"), {&x}, options);
}

}  // namespace
}  // namespace hwgq
