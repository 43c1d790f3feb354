// LRN on the GPU against the CPU, across and within channels, AlexNet's beta = 0.75 (the
// CPU's special form) and another beta, on 13 channels of 7 x 5.
#include "gpu_test_util.hpp"

namespace hwgq {
namespace {

TEST(GpuLRN, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob x({3, 13, 7, 5});
  test::fill_gaussian(&x, 71, 0.f, 2.f);
  test::CompareOptions options;
  options.forward_tolerance = 1e-5f;
  options.backward_tolerance = 1e-4f;
  for (const char* region : {"ACROSS_CHANNELS", "WITHIN_CHANNEL"}) {
    for (const char* beta : {"0.75", "0.6"}) {
      SCOPED_TRACE(std::string(region) + " beta " + beta);
      test::compare_layer(test::layer_from_text(std::string("name: 'norm' type: 'LRN' lrn_param { local_size: 5 "
                                                            "alpha: 0.5 k: 2 norm_region: ") +
                                                region + " beta: " + beta + " }"),
                          {&x}, options);
    }
  }
  test::compare_layer(test::layer_from_text("name: 'norm' type: 'LRN' lrn_param { local_size: 3 alpha: 0.1 }"),
                      {&x}, options);
}

}  // namespace
}  // namespace hwgq
