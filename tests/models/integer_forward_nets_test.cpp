// Whole nets with the integer forward of binary layers (pass integer_binary_forward) against
// the same nets on the float forward: LeNet-HWGQ training follows the same loss
// trajectory, and the authors' AlexNet-HWGQ / ResNet-18-HWGQ pick the same class per image.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "hwgq/math/random.hpp"
#include "hwgq/net.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "model_test_util.hpp"

namespace hwgq {
namespace {

std::vector<float> lenet_losses(bool integer_forward, int iterations) {
  SolverParameter solver;
  read_text_proto(std::string(HWGQ_SOURCE_DIR) + "/bench/nets/lenet_hwgq.prototxt", solver.mutable_net_param());
  set_batch_size(solver.mutable_net_param(), 32);
  solver.mutable_net_param()->set_integer_binary_forward(integer_forward);
  solver.set_base_lr(0.01f);
  solver.set_lr_policy("fixed");
  solver.set_momentum(0.9f);
  solver.set_max_iter(iterations);
  solver.set_random_seed(3);
  auto sgd = create_solver(solver, "lenet_hwgq");
  Net& net = sgd->net();
  Blob* data = net.input_blobs().at(0);
  Blob* labels = net.input_blobs().at(1);
  std::vector<float> losses;
  for (int it = 0; it < iterations; ++it) {
    // Fixed, learnable inputs: a class-dependent bright square on a textured background.
    for (int n = 0; n < data->shape(0); ++n) {
      const int label = (n + it) % 10;
      labels->mutable_cpu_data()[n] = static_cast<float>(label);
      float* image = data->mutable_cpu_data() + n * 28 * 28;
      for (int i = 0; i < 28 * 28; ++i) {
        const int y = i / 28, x = i % 28;
        const bool square = y / 7 == label % 4 && x / 7 == label / 4;
        image[i] = (square ? 0.8f : 0.f) + 0.2f * static_cast<float>((i * 37 + n * 11) % 17) / 17.f;
      }
    }
    net.clear_param_diffs();
    losses.push_back(net.forward_backward());
    sgd->apply_update();
  }
  return losses;
}

// The first forward differs only by rounding. After that the paths drift apart as any two
// float runs of a binary-weight net do: an output that moves by one rounding can cross a
// Quant threshold or flip the sign of a near-zero weight, changing the next step. The
// trajectories must still agree closely and both learn.
TEST(IntegerForwardNets, LeNetHwgqTrainsLikeTheFloatForward) {
  const int iterations = 8;
  const std::vector<float> with_int = lenet_losses(true, iterations);
  const std::vector<float> with_float = lenet_losses(false, iterations);
  for (int i = 0; i < iterations; ++i) {
    std::printf("iteration %d: loss integer %.7f float %.7f\n", i, with_int[i], with_float[i]);
    ASSERT_TRUE(std::isfinite(with_int[i]));
  }
  EXPECT_NEAR(with_int[0], with_float[0], 1e-5 * with_float[0]);
  for (int i = 1; i < iterations; ++i) {
    EXPECT_NEAR(with_int[i], with_float[i], 0.05 * with_float[i]) << "iteration " << i;
  }
  EXPECT_LT(with_int.back(), 0.7f * with_int.front());
  EXPECT_LT(with_float.back(), 0.7f * with_float.front());
}

// Top-1 per image of a reference deploy net on random weights, with and without the pass.
void expect_same_classes(const std::string& relative) {
  const std::string reference = test::reference_dir();
  if (reference.empty()) GTEST_SKIP() << "the authors' files are not at hand";
  if (!test::long_tests_enabled()) GTEST_SKIP() << "set HWGQ_LONG_TESTS=1";
  NetParameter param;
  read_text_proto(reference + "/" + relative, &param);
  set_batch_size(&param, 2);
  std::vector<std::vector<int>> classes;
  for (bool integer : {false, true}) {
    Net net(param, TEST, relative);
    test::randomize_params(&net);
    if (integer) {
      EXPECT_GT(apply_net_pass(net, "integer_binary_forward"), 0);
    }
    Blob* data = net.input_blobs().at(0);
    for (int i = 0; i < data->count(); ++i) {
      data->mutable_cpu_data()[i] = static_cast<float>((i * 29 + (i / 7) * 13) % 255) - 117.f;
    }
    net.forward();
    const Blob* prob = net.blob_by_name("prob");
    std::vector<int> top;
    for (int n = 0; n < prob->shape(0); ++n) {
      const float* row = prob->cpu_data() + n * prob->count(1);
      top.push_back(static_cast<int>(std::max_element(row, row + prob->count(1)) - row));
    }
    classes.push_back(top);
  }
  EXPECT_EQ(classes[0], classes[1]);
}

TEST(IntegerForwardNets, AlexNetHwgqSameTopClass) {
  expect_same_classes("imagenet/alex-hwgq-3ne-clip-poly-320k/deploy.prototxt");
}

TEST(IntegerForwardNets, ResNet18HwgqSameTopClass) {
  expect_same_classes("imagenet/res18-hwgq-3ne-clip-poly-320k/deploy.prototxt");
}

}  // namespace
}  // namespace hwgq
