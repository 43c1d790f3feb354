// Dropout on the GPU draws its own mask (a hash of a seed from the run's generator), so it
// is checked against the definition rather than the CPU's mask: every output is 0 or
// x / (1 - p), about 1 - p of them are kept, backward uses the same mask, the same seed
// gives the same mask, and TEST phase is the identity.
#include <cmath>

#include "gpu_test_util.hpp"
#include "hwgq/layer_registry.hpp"

namespace hwgq {
namespace {

TEST(GpuDropout, MaskFollowsTheDefinition) {
  HWGQ_REQUIRE_GPU();
  const float p = 0.3f;
  Blob x({64, 13, 7, 5}), y;
  test::fill_gaussian(&x, 51, 2.f, 0.1f);  // no zeros, so a zero output means dropped
  test::ModeScope mode(Mode::GPU);
  auto layer = create_layer(
      test::layer_from_text("name: 'drop' type: 'Dropout' phase: TRAIN dropout_param { dropout_ratio: 0.3 }"));
  layer->setup({&x}, {&y});
  Context::get().set_random_seed(5);
  layer->forward({&x}, {&y});
  Blob dy(y.shape());
  test::fill_gaussian(&dy, 52);
  std::copy_n(dy.cpu_data(), dy.count(), y.mutable_cpu_diff());
  layer->backward({&y}, {true}, {&x});

  const float scale = 1.f / (1.f - p);
  int kept = 0, bad_forward = 0, bad_backward = 0;
  for (int i = 0; i < x.count(); ++i) {
    const float v = y.cpu_data()[i];
    const bool keep = v != 0.f;
    kept += keep;
    if (keep && std::fabs(v - x.cpu_data()[i] * scale) > 1e-6f * std::fabs(v)) ++bad_forward;
    const float expected = keep ? dy.cpu_data()[i] * scale : 0.f;
    if (std::fabs(x.cpu_diff()[i] - expected) > 1e-6f * std::max(1.f, std::fabs(expected))) ++bad_backward;
  }
  EXPECT_EQ(bad_forward, 0);
  EXPECT_EQ(bad_backward, 0);
  const double fraction = double(kept) / x.count();
  EXPECT_NEAR(fraction, 1.0 - p, 0.01) << "kept fraction over " << x.count() << " values";

  // The same seed gives the same mask.
  Blob y2;
  auto again = create_layer(
      test::layer_from_text("name: 'drop' type: 'Dropout' phase: TRAIN dropout_param { dropout_ratio: 0.3 }"));
  again->setup({&x}, {&y2});
  Context::get().set_random_seed(5);
  again->forward({&x}, {&y2});
  for (int i = 0; i < x.count(); ++i) ASSERT_EQ(y.cpu_data()[i], y2.cpu_data()[i]) << i;
}

TEST(GpuDropout, TestPhaseIsIdentity) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 53);
  test::CompareOptions options;
  options.forward_tolerance = 0.f;
  options.backward_tolerance = 0.f;
  test::compare_layer(test::layer_from_text("name: 'drop' type: 'Dropout' phase: TEST"), {&x}, options);
}

}  // namespace
}  // namespace hwgq
