// Concat, Slice and Eltwise on the GPU against the CPU, on odd shapes and along several
// axes; Eltwise for every operation, with coefficients and ties for MAX.
#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

using test::compare_layer;
using test::CompareOptions;
using test::layer_from_text;

CompareOptions exact() {
  CompareOptions options;
  options.forward_tolerance = 0.f;
  options.backward_tolerance = 0.f;
  return options;
}

TEST(GpuConcat, MatchesCpuAlongEachAxis) {
  HWGQ_REQUIRE_GPU();
  Blob a({3, 13, 7, 5}), b({3, 4, 7, 5});
  test::fill_gaussian(&a, 61);
  test::fill_gaussian(&b, 62);
  compare_layer(layer_from_text("name: 'cat' type: 'Concat'"), {&a, &b}, exact());
  Blob c({3, 13, 2, 5});
  test::fill_gaussian(&c, 63);
  compare_layer(layer_from_text("name: 'cat' type: 'Concat' concat_param { axis: 2 }"), {&a, &c}, exact());
  Blob d({1, 13, 7, 5});
  test::fill_gaussian(&d, 64);
  compare_layer(layer_from_text("name: 'cat' type: 'Concat' concat_param { axis: 0 }"), {&a, &d, &a}, exact());
  CompareOptions partial = exact();
  partial.propagate_down = {false, true};
  compare_layer(layer_from_text("name: 'cat' type: 'Concat'"), {&a, &b}, partial);
}

TEST(GpuSlice, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 65);
  compare_layer(layer_from_text("name: 's' type: 'Slice' top: 'a' top: 'b' top: 'c' "
                                "slice_param { axis: 1 slice_point: 4 slice_point: 9 }"),
                {&x}, exact());
  compare_layer(layer_from_text("name: 's' type: 'Slice' top: 'a' top: 'b' slice_param { axis: -1 slice_point: 2 }"),
                {&x}, exact());
}

TEST(GpuEltwise, EveryOperationMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob a({3, 13, 7, 5}), b({3, 13, 7, 5}), c({3, 13, 7, 5});
  test::fill_gaussian(&a, 66);
  test::fill_gaussian(&b, 67);
  test::fill_gaussian(&c, 68);
  // Ties for MAX: the first bottom must keep the gradient.
  for (int i = 0; i < 40; ++i) b.mutable_cpu_data()[i] = a.cpu_data()[i];
  CompareOptions close;
  close.forward_tolerance = 1e-6f;
  close.backward_tolerance = 1e-5f;
  compare_layer(layer_from_text("name: 'e' type: 'Eltwise'"), {&a, &b, &c}, close);
  compare_layer(layer_from_text("name: 'e' type: 'Eltwise' eltwise_param { operation: SUM coeff: 1 coeff: -0.5 "
                                "coeff: 2 }"),
                {&a, &b, &c}, close);
  compare_layer(layer_from_text("name: 'e' type: 'Eltwise' eltwise_param { operation: PROD }"), {&a, &b, &c}, close);
  compare_layer(layer_from_text("name: 'e' type: 'Eltwise' eltwise_param { operation: PROD stable_prod_grad: false }"),
                {&a, &b, &c}, close);
  compare_layer(layer_from_text("name: 'e' type: 'Eltwise' eltwise_param { operation: MAX }"), {&a, &b, &c}, exact());
}

}  // namespace
}  // namespace hwgq
