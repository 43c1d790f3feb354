// Pooling (own kernels) against the CPU: MAX and AVE, Caffe's ceil output size with the
// last window dropped when it would start in the padding, a mask top, global pooling, and
// ties (quantized inputs have many), which both devices must resolve to the first maximum.
#include <cmath>

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

TEST(GpuPooling, MatchesCpuOnOddShapes) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 91);
  const char* configs[] = {
      "pool: MAX kernel_size: 3 stride: 2",
      "pool: MAX kernel_size: 2 stride: 2 pad: 1",
      "pool: MAX kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0",
      "pool: MAX kernel_size: 1 stride: 3",
      "pool: AVE kernel_size: 3 stride: 2",
      "pool: AVE kernel_size: 3 stride: 2 pad: 1",
      "pool: AVE kernel_size: 2 stride: 1",
      "pool: MAX global_pooling: true",
      "pool: AVE global_pooling: true",
  };
  for (const char* config : configs) {
    SCOPED_TRACE(config);
    compare_layer(layer_from_text(std::string("name: 'pool' type: 'Pooling' pooling_param { ") + config + " }"), {&x},
                  exact());
  }
}

TEST(GpuPooling, MaskTopMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({2, 13, 7, 5});
  test::fill_gaussian(&x, 92);
  compare_layer(layer_from_text("name: 'pool' type: 'Pooling' top: 'y' top: 'mask' "
                                "pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }"),
                {&x}, exact());
}

TEST(GpuPooling, TiesGoToTheFirstMaximum) {
  HWGQ_REQUIRE_GPU();
  Blob x({2, 13, 7, 5});
  test::fill_gaussian(&x, 93);
  // Values on a 2-bit grid, as after a Quant layer.
  float* v = x.mutable_cpu_data();
  for (int i = 0; i < x.count(); ++i) v[i] = 0.538f * std::round(std::fmin(std::fmax(v[i] + 1.f, 0.f), 3.f));
  compare_layer(layer_from_text("name: 'pool' type: 'Pooling' pooling_param { pool: MAX kernel_size: 3 stride: 2 }"),
                {&x}, exact());
}

}  // namespace
}  // namespace hwgq
