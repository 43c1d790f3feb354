// `hwgq histogram` and `hwgq quantizer --model` on a small trained-shaped net: both record
// what flows into the Quant layers (the recorder itself: tests/analysis/activation_recorder_test.cpp).
#include <gtest/gtest.h>

#include "analysis/recorded_quant_net.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

class RecordedQuantizer : public test::RecordedQuantNet {};

TEST_F(RecordedQuantizer, HistogramWritesOneSvgPerQuantLayer) {
  const auto result = test::run_hwgq("histogram --model=" + dir_.file("net.prototxt") + " --weights=" +
                                     dir_.file("w.caffemodel") + " --iterations=2 --output=" + dir_.file("plots"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string svg = read_file(dir_.file("plots/q1.svg"));
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST_F(RecordedQuantizer, QuantizerDesignsFromARecordedLayer) {
  const auto result = test::run_hwgq("quantizer --bits=2 --model=" + dir_.file("net.prototxt") + " --weights=" +
                                     dir_.file("w.caffemodel") + " --layer=q1 --iterations=2 --print_param");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("layer \"q1\" input"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("quant_param {"), std::string::npos) << result.output;
  const auto missing = test::run_hwgq("quantizer --model=" + dir_.file("net.prototxt"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("--layer"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace hwgq
