// BatchNorm on the GPU against the CPU: batch statistics (with a large mean, which a
// one-pass variance would get wrong), running sums over two rounds, in place, global
// statistics, and the 2-d (N x C) form.
#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

using test::compare_layer;
using test::CompareOptions;
using test::layer_from_text;

CompareOptions bn_options(bool in_place) {
  CompareOptions options;
  options.in_place = in_place;
  options.forward_tolerance = 1e-4f;
  options.backward_tolerance = 1e-4f;
  return options;
}

TEST(GpuBatchNorm, BatchStatisticsMatchCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({4, 13, 7, 5});
  test::fill_gaussian(&x, 11, 3.f, 2.f);
  for (bool in_place : {false, true}) {
    SCOPED_TRACE(in_place ? "in place" : "out of place");
    compare_layer(layer_from_text("name: 'bn' type: 'BatchNorm' phase: TRAIN "
                                  "batch_norm_param { moving_average_fraction: 0.9 }"),
                  {&x}, bn_options(in_place));
  }
}

TEST(GpuBatchNorm, LargeChannelsSplitOverBlocks) {
  HWGQ_REQUIRE_GPU();
  // Long channels: each is summed by several blocks.
  Blob x({8, 3, 61, 67});
  test::fill_gaussian(&x, 12, -1.f, 0.5f);
  compare_layer(layer_from_text("name: 'bn' type: 'BatchNorm' phase: TRAIN"), {&x}, bn_options(false));
}

TEST(GpuBatchNorm, TwoAxisBottomMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({9, 13});
  test::fill_gaussian(&x, 13, 0.5f, 1.5f);
  compare_layer(layer_from_text("name: 'bn' type: 'BatchNorm' phase: TRAIN"), {&x}, bn_options(true));
}

TEST(GpuBatchNorm, GlobalStatisticsMatchCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 14, 1.f, 2.f);
  // Stored running sums as a trained net would have them.
  LayerParameter param = layer_from_text("name: 'bn' type: 'BatchNorm' phase: TEST");
  BlobProto* mean = param.add_blobs();
  BlobProto* var = param.add_blobs();
  BlobProto* factor = param.add_blobs();
  mean->mutable_shape()->add_dim(13);
  var->mutable_shape()->add_dim(13);
  factor->mutable_shape()->add_dim(1);
  for (int c = 0; c < 13; ++c) {
    mean->add_data(0.3f * c - 2.f);
    var->add_data(0.5f + 0.25f * c);
  }
  factor->add_data(2.5f);
  compare_layer(param, {&x}, bn_options(false));
  compare_layer(param, {&x}, bn_options(true));
}

TEST(GpuBatchNorm, FreshLayerInTestPhaseMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({2, 13, 7, 5});
  test::fill_gaussian(&x, 15);
  compare_layer(layer_from_text("name: 'bn' type: 'BatchNorm' phase: TEST"), {&x}, bn_options(false));
}

}  // namespace
}  // namespace hwgq
