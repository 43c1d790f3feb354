// BatchNorm folded into Quant, on the GPU. The fused GPU forward must equal the unfused GPU
// forward bit for bit, including at and next to the moved thresholds, since both normalise
// with the statistics the same device kernel computes. Against the CPU the statistics
// themselves may differ in the last bit (the GPU kernel may contract a multiply-add), which
// moves relu / hard_tanh outputs by an ulp and an input lying right on a threshold by one
// level; on Gaussian inputs the fused GPU forward must match the CPU within 1e-6, allowing
// at most one value in a thousand to be a level off.
#include <algorithm>

#include "batch_norm_quant_fusion_test_util.hpp"
#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

using test::Layout;
using test::ModeScope;

const char* const kTwoBit = "centers: 0.538 centers: 1.076 centers: 1.614 ";

void copy_input(Net& from, Net& to) {
  Blob* x = to.input_blobs()[0];
  std::copy_n(from.input_blobs()[0]->cpu_data(), x->count(), x->mutable_cpu_data());
}

void compare_on_gpu(const std::string& quant_param, const std::vector<int>& shape, uint64_t seed) {
  for (Layout layout : {Layout{true, true}, Layout{true, false}, Layout{false, true}, Layout{false, false}}) {
    SCOPED_TRACE(quant_param + (layout.bn_in_place ? ", BatchNorm in place" : ", BatchNorm apart") +
                 (layout.quant_in_place ? ", Quant in place" : ", Quant apart") + ", shape " + shape_string(shape));
    NetParameter param = test::fusion_net(quant_param, shape, layout);
    Net fused_gpu(param, TEST);
    Net fused_cpu(param, TEST);
    param.set_fuse_batch_norm_quant(false);
    Net plain_gpu(param, TEST);
    ASSERT_TRUE(test::fused(fused_gpu));
    test::set_statistics(fused_gpu, seed);
    test::copy_statistics(fused_gpu, plain_gpu);
    test::copy_statistics(fused_gpu, fused_cpu);
    for (int round = 0; round < 2; ++round) {
      // Fused against unfused, both on the GPU: exact, thresholds included.
      test::fill_input(fused_gpu, seed + 10 + round, true);
      copy_input(fused_gpu, plain_gpu);
      {
        ModeScope mode(Mode::GPU);
        fused_gpu.forward();
        plain_gpu.forward();
      }
      test::expect_identical(test::quant_output(plain_gpu), test::quant_output(fused_gpu),
                             "GPU fused vs unfused, round " + std::to_string(round));

      // Fused GPU against fused CPU on Gaussian inputs.
      test::fill_input(fused_gpu, seed + 20 + round, false);
      copy_input(fused_gpu, fused_cpu);
      {
        ModeScope mode(Mode::GPU);
        fused_gpu.forward();
      }
      {
        ModeScope mode(Mode::CPU);
        fused_cpu.forward();
      }
      const Blob& g = test::quant_output(fused_gpu);
      const Blob& c = test::quant_output(fused_cpu);
      int differ = 0;
      for (int i = 0; i < c.count(); ++i) {
        const float a = c.cpu_data()[i], b = g.cpu_data()[i];
        differ += !(std::fabs(a - b) <= 1e-6f * std::max(1.f, std::fabs(a)));
      }
      EXPECT_LE(differ, c.count() / 1000) << "GPU vs CPU, round " << round << ": " << differ << " of " << c.count()
                                          << " values differ";
    }
  }
}

TEST(GpuBatchNormQuantFusion, HwgqMatchesUnfusedAndCpu) {
  HWGQ_REQUIRE_GPU();
  compare_on_gpu(std::string("forward_func: 'hwgq' ") + kTwoBit + "clip_thr: 1.614", {3, 13, 7, 5}, 1);
  compare_on_gpu(std::string("forward_func: 'hwgq' negative_slope: 0.1 ") + kTwoBit, {5, 33}, 2);  // N x C
  std::string centers;
  for (int j = 1; j <= 20; ++j) centers += "centers: " + std::to_string(0.15 * j) + " ";
  compare_on_gpu("forward_func: 'hwgq' " + centers, {3, 13, 7, 5}, 3);
}

TEST(GpuBatchNormQuantFusion, SignHardTanhAndReluMatchUnfusedAndCpu) {
  HWGQ_REQUIRE_GPU();
  for (const char* f : {"forward_func: 'sign' backward_func: 'hard_tanh' clip_thr: 1",
                        "forward_func: 'hard_tanh' backward_func: 'hard_tanh'",
                        "forward_func: 'relu' negative_slope: 0.2 clip_thr: 1.5"}) {
    compare_on_gpu(f, {3, 13, 7, 5}, 4);
    compare_on_gpu(f, {5, 33}, 5);
  }
}

// Channels without usable statistics (negative variance sum, infinite mean) are normalised
// per element on the GPU too.
TEST(GpuBatchNormQuantFusion, BrokenStatisticsMatchUnfused) {
  HWGQ_REQUIRE_GPU();
  for (const std::string& f : {std::string("forward_func: 'hwgq' ") + kTwoBit, std::string("forward_func: 'sign'")}) {
    NetParameter param = test::fusion_net(f, {3, 6, 4, 3}, Layout{true, false});
    Net fused_gpu(param, TEST);
    param.set_fuse_batch_norm_quant(false);
    Net plain_gpu(param, TEST);
    test::set_statistics(fused_gpu, 6);
    Layer* bn = fused_gpu.layer_by_name("bn");
    bn->blobs()[1]->mutable_cpu_data()[1] = -1.f;
    bn->blobs()[0]->mutable_cpu_data()[3] = test::kInf;
    test::copy_statistics(fused_gpu, plain_gpu);
    test::fill_input(fused_gpu, 7);
    copy_input(fused_gpu, plain_gpu);
    ModeScope mode(Mode::GPU);
    fused_gpu.forward();
    plain_gpu.forward();
    test::expect_identical(test::quant_output(plain_gpu), test::quant_output(fused_gpu), f);
  }
}

// The statistics are read at each GPU forward too (they live in blobs the solver updates).
TEST(GpuBatchNormQuantFusion, StatisticsAreReadAtForwardTime) {
  HWGQ_REQUIRE_GPU();
  NetParameter param = test::fusion_net(std::string("forward_func: 'hwgq' ") + kTwoBit, {2, 5, 4, 4},
                                        Layout{true, true});
  Net fused_gpu(param, TEST);
  param.set_fuse_batch_norm_quant(false);
  Net plain_gpu(param, TEST);
  for (uint64_t seed : {11, 12, 13}) {
    test::set_statistics(fused_gpu, seed);
    test::copy_statistics(fused_gpu, plain_gpu);
    test::fill_input(fused_gpu, seed);
    copy_input(fused_gpu, plain_gpu);
    ModeScope mode(Mode::GPU);
    fused_gpu.forward();
    plain_gpu.forward();
    test::expect_identical(test::quant_output(plain_gpu), test::quant_output(fused_gpu),
                           "seed " + std::to_string(seed));
  }
}

}  // namespace
}  // namespace hwgq
