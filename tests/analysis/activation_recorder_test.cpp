#include "hwgq/analysis/activation_recorder.hpp"
#include "hwgq/passes/fold_batch_norm_quant.hpp"

#include <gtest/gtest.h>

#include "analysis/recorded_quant_net.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

class ActivationRecorder : public test::RecordedQuantNet {};

TEST_F(ActivationRecorder, CapturesInputsBeforeAnInPlaceQuant) {
  NetParameter param;
  read_text_proto(dir_.file("net.prototxt"), &param);
  param.set_fuse_batch_norm_quant(false);  // q1's bottom then holds the BatchNorm output
  Net net(param, TEST);
  net.copy_trained_layers_from(dir_.file("w.caffemodel"));
  const auto samples = record_layer_inputs(net, {"q1"}, 2);
  ASSERT_EQ(samples.at("q1").size(), 2u * 10 * 16);
  // Quantized values would only be 0 and the three centers; the inputs are continuous.
  int off_grid = 0;
  for (float v : samples.at("q1")) off_grid += v != 0.f && v != 0.538f && v != 1.076f && v != 1.614f;
  EXPECT_GT(off_grid, 300);
  EXPECT_THROW(record_layer_inputs(net, {"nope"}, 1), Error);
}

TEST_F(ActivationRecorder, RefusesAQuantWithAFoldedBatchNorm) {
  Net net(dir_.file("net.prototxt"), TEST);
  ASSERT_EQ(fold_batch_norm_quant(net), 1);
  try {
    record_layer_inputs(net, {"q1"}, 1);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fuse_batch_norm_quant: false"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hwgq
