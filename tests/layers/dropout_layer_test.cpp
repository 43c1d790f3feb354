#include "hwgq/layers/dropout_layer.hpp"

#include <gtest/gtest.h>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

LayerParameter dropout_param(Phase phase, float ratio = 0.5f) {
  LayerParameter p;
  p.set_name("drop1");
  p.set_type("Dropout");
  p.set_phase(phase);
  p.mutable_dropout_param()->set_dropout_ratio(ratio);
  return p;
}

TEST(DropoutLayer, TrainDropsAndRescales) {
  const float ratio = 0.25f;
  auto layer = create_layer(dropout_param(TRAIN, ratio));
  Blob x({10, 100}), y;
  test::fill_uniform(&x, 101, 1.f, 2.f);
  layer->setup({&x}, {&y});
  Context::get().set_random_seed(102);
  layer->forward({&x}, {&y});
  int kept = 0;
  for (int i = 0; i < x.count(); ++i) {
    const float v = y.cpu_data()[i];
    if (v == 0.f) continue;
    ++kept;
    ASSERT_FLOAT_EQ(v, x.cpu_data()[i] / (1 - ratio));
  }
  // 750 expected; the binomial standard deviation is about 14.
  EXPECT_NEAR(kept, 750, 70);

  y.set_diff(1.f);
  layer->backward({&y}, {true}, {&x});
  for (int i = 0; i < x.count(); ++i)
    ASSERT_FLOAT_EQ(x.cpu_diff()[i], y.cpu_data()[i] == 0.f ? 0.f : 1 / (1 - ratio));
}

TEST(DropoutLayer, SeedReproducesMask) {
  auto layer = create_layer(dropout_param(TRAIN));
  Blob x({64}), a, b;
  test::fill_uniform(&x, 103, 1.f, 2.f);
  layer->setup({&x}, {&a});
  Context::get().set_random_seed(104);
  layer->forward({&x}, {&a});
  Context::get().set_random_seed(104);
  layer->forward({&x}, {&b});
  for (int i = 0; i < 64; ++i) EXPECT_EQ(a.cpu_data()[i], b.cpu_data()[i]);
}

TEST(DropoutLayer, TestIsIdentity) {
  auto layer = create_layer(dropout_param(TEST));
  Blob x({3, 4}), y;
  test::fill_uniform(&x, 105, 1.f, 2.f);
  layer->setup({&x}, {&y});
  layer->forward({&x}, {&y});
  for (int i = 0; i < 12; ++i) EXPECT_EQ(y.cpu_data()[i], x.cpu_data()[i]);
  for (int i = 0; i < 12; ++i) y.mutable_cpu_diff()[i] = float(i);
  layer->backward({&y}, {true}, {&x});
  for (int i = 0; i < 12; ++i) EXPECT_EQ(x.cpu_diff()[i], float(i));
}

TEST(DropoutLayer, Gradient) {
  auto layer = create_layer(dropout_param(TRAIN, 0.4f));
  Blob x({2, 3, 4}), y;
  test::fill_uniform(&x, 106, 1.f, 2.f);
  layer->setup({&x}, {&y});
  EXPECT_EQ(test::check_gradients(*layer, {&x}, {&y}), x.count());
}

TEST(DropoutLayer, InPlaceMatchesOutOfPlace) {
  Blob x({5, 7}), y, z({5, 7});
  test::fill_uniform(&x, 107, 1.f, 2.f);
  std::copy(x.cpu_data(), x.cpu_data() + x.count(), z.mutable_cpu_data());
  auto a = create_layer(dropout_param(TRAIN));
  auto b = create_layer(dropout_param(TRAIN));
  a->setup({&x}, {&y});
  b->setup({&z}, {&z});
  Context::get().set_random_seed(108);
  a->forward({&x}, {&y});
  Context::get().set_random_seed(108);
  b->forward({&z}, {&z});
  for (int i = 0; i < x.count(); ++i) ASSERT_EQ(z.cpu_data()[i], y.cpu_data()[i]);
  y.set_diff(1.f);
  z.set_diff(1.f);
  a->backward({&y}, {true}, {&x});
  b->backward({&z}, {true}, {&z});
  for (int i = 0; i < x.count(); ++i) ASSERT_EQ(z.cpu_diff()[i], x.cpu_diff()[i]);
}

TEST(DropoutLayer, RejectsBadRatio) {
  Blob x({4}), y;
  for (float ratio : {1.f, -0.1f, 1.5f}) {
    try {
      create_layer(dropout_param(TRAIN, ratio))->setup({&x}, {&y});
      FAIL() << "expected an error for ratio " << ratio;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("drop1"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace hwgq
