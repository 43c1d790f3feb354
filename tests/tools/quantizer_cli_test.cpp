// `hwgq quantizer` end to end: run the built binary and read what it prints.
#include <gtest/gtest.h>

#include <string>

#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

TEST(QuantizerCli, TwoBitUniformByDefault) {
  const test::CommandResult run = run_hwgq("quantizer");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("uniform, 3 positive levels plus 0 (2 bits)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("step       0.538812"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("   1    0.538812        0.000000"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("   2    1.077624        0.808218"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("MSE        0.04322"), std::string::npos) << run.output;
}

TEST(QuantizerCli, LloydPrintsAParamTheLayerAccepts) {
  const test::CommandResult run = run_hwgq("quantizer --levels=2 --method=lloyd --print_param");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("   2    1.510418        0.981599"), std::string::npos) << run.output;
  const size_t at = run.output.find("quant_param {");
  ASSERT_NE(at, std::string::npos) << run.output;
  LayerParameter param;
  parse_text_proto("name: \"qt\" type: \"Quant\" " + run.output.substr(at), "quantizer output", &param);
  EXPECT_EQ(param.quant_param().forward_func(), "hwgq");
  EXPECT_EQ(param.quant_param().backward_func(), "relu");
  ASSERT_EQ(param.quant_param().centers_size(), 2);
  EXPECT_NEAR(param.quant_param().centers(0), 0.4528, 1e-4);
  EXPECT_NEAR(param.quant_param().centers(1), 1.5104, 1e-4);
  EXPECT_EQ(param.quant_param().clip_thr(), param.quant_param().centers(1));
  QuantLayer layer(param);
  Blob bottom({3}), top;
  layer.setup({&bottom}, {&top});
}

TEST(QuantizerCli, BitsAndErrors) {
  const test::CommandResult three = run_hwgq("quantizer --bits=3 --method=lloyd");
  ASSERT_EQ(three.exit_code, 0) << three.output;
  EXPECT_NE(three.output.find("lloyd, 7 positive levels plus 0 (3 bits)"), std::string::npos) << three.output;
  EXPECT_NE(three.output.find("   7    2.625063        2.281837"), std::string::npos) << three.output;

  const test::CommandResult clash = run_hwgq("quantizer --levels=5 --bits=2");
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_NE(clash.output.find("conflicts with --bits=2"), std::string::npos) << clash.output;
  // Agreeing values are refused as well: one way of giving the levels at a time.
  const test::CommandResult both = run_hwgq("quantizer --levels=3 --bits=2");
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_NE(both.output.find("give one of them"), std::string::npos) << both.output;
  const test::CommandResult method = run_hwgq("quantizer --method=kmeans");
  EXPECT_EQ(method.exit_code, 1);
  EXPECT_NE(method.output.find("known methods: uniform, lloyd"), std::string::npos) << method.output;
}

}  // namespace
}  // namespace hwgq
