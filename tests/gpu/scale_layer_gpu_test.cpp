// Scale on the GPU against the CPU: learned scale and bias, in place, a second bottom as
// the scale, and a scale spanning several axes.
#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

using test::compare_layer;
using test::CompareOptions;
using test::layer_from_text;

CompareOptions scale_options(bool in_place) {
  CompareOptions options;
  options.in_place = in_place;
  options.forward_tolerance = 1e-6f;
  options.backward_tolerance = 1e-4f;
  return options;
}

TEST(GpuScale, LearnedScaleAndBiasMatchCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 21);
  const char* text =
      "name: 'scale' type: 'Scale' scale_param { bias_term: true "
      "filler { type: 'gaussian' std: 1 } bias_filler { type: 'gaussian' std: 1 } }";
  for (bool in_place : {false, true}) {
    SCOPED_TRACE(in_place ? "in place" : "out of place");
    compare_layer(layer_from_text(text), {&x}, scale_options(in_place));
  }
}

TEST(GpuScale, SecondBottomScaleMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5}), s({3, 13});
  test::fill_gaussian(&x, 22);
  test::fill_gaussian(&s, 23);
  compare_layer(layer_from_text("name: 'scale' type: 'Scale' scale_param { axis: 0 }"), {&x, &s},
                scale_options(false));
}

TEST(GpuScale, ScaleOverTrailingAxesMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({4, 13, 7, 5});
  test::fill_gaussian(&x, 24);
  compare_layer(layer_from_text("name: 'scale' type: 'Scale' scale_param { axis: 1 num_axes: -1 "
                                "filler { type: 'uniform' min: -2 max: 2 } }"),
                {&x}, scale_options(false));
}

}  // namespace
}  // namespace hwgq
