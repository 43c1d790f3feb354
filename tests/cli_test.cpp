// The command-line tool on bad input: a one-line error and a non-zero exit, never a crash.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;
using test::TempDir;
using test::write_text;

// The error line the CLI printed ("hwgq <verb>: error: ...").
std::string error_line(const std::string& output) {
  const auto start = output.find(": error: ");
  if (start == std::string::npos) return "";
  const auto line_start = output.rfind('\n', start);
  const auto line_end = output.find('\n', start);
  return output.substr(line_start == std::string::npos ? 0 : line_start + 1,
                       line_end == std::string::npos ? std::string::npos : line_end - line_start - 1);
}

void expect_clean_failure(const std::string& arguments, const std::vector<std::string>& parts) {
  const auto result = run_hwgq(arguments);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const std::string line = error_line(result.output);
  ASSERT_FALSE(line.empty()) << "no error line in: " << result.output;
  for (const auto& part : parts) EXPECT_NE(line.find(part), std::string::npos) << line;
}

const char* const kNet = R"(
layer { name: "input" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 2 dim: 1 dim: 6 dim: 6 } shape { dim: 2 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
        convolution_param { num_output: 2 kernel_size: 3 stride: 1 } }
layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 2 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
)";

TEST(Cli, HelpListsTheVerbs) {
  const auto result = run_hwgq("help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* verb : {"train", "test", "time", "device_query"}) {
    EXPECT_NE(result.output.find(verb), std::string::npos) << verb;
  }
}

TEST(Cli, UnknownVerbFails) {
  const auto result = run_hwgq("trian");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("unknown command \"trian\""), std::string::npos);
}

TEST(Cli, TrainWithoutSolver) { expect_clean_failure("train", {"--solver"}); }

TEST(Cli, MissingSolverFileNamesThePath) {
  expect_clean_failure("train --solver=/nonexistent/solver.prototxt", {"/nonexistent/solver.prototxt"});
}

TEST(Cli, SolverWithoutNet) {
  TempDir dir;
  write_text(dir.file("solver.prototxt"), "base_lr: 0.1\nlr_policy: \"fixed\"\nmax_iter: 1\n");
  expect_clean_failure("train --solver=" + dir.file("solver.prototxt"), {"solver.prototxt", "names no net"});
}

TEST(Cli, UnknownLrPolicy) {
  TempDir dir;
  write_text(dir.file("net.prototxt"), kNet);
  write_text(dir.file("solver.prototxt"), "net: \"" + dir.file("net.prototxt") +
                                              "\"\nbase_lr: 0.1\nlr_policy: \"cosine\"\nmax_iter: 1\n");
  expect_clean_failure("train --solver=" + dir.file("solver.prototxt"), {"unknown lr_policy \"cosine\""});
}

TEST(Cli, SyntaxErrorNamesFileLineAndColumn) {
  TempDir dir;
  write_text(dir.file("net.prototxt"), "layer {\n  name: \"a\"\n  type: Input\"\n}\n");
  expect_clean_failure("time --model=" + dir.file("net.prototxt"), {dir.file("net.prototxt") + ":3:"});
}

TEST(Cli, NegativeStrideIsRejected) {
  TempDir dir;
  std::string net = kNet;
  net.replace(net.find("stride: 1"), 9, "stride: -1");
  write_text(dir.file("net.prototxt"), net);
  expect_clean_failure("time --model=" + dir.file("net.prototxt"), {dir.file("net.prototxt") + ":5:"});
}

TEST(Cli, ZeroStrideIsRejected) {
  TempDir dir;
  std::string net = kNet;
  net.replace(net.find("stride: 1"), 9, "stride: 0");
  write_text(dir.file("net.prototxt"), net);
  expect_clean_failure("time --model=" + dir.file("net.prototxt"), {"\"conv\"", "stride"});
}

TEST(Cli, UnknownLayerTypeListsKnownTypes) {
  TempDir dir;
  std::string net = kNet;
  net.replace(net.find("\"Convolution\""), 13, "\"Convolutoin\"");
  write_text(dir.file("net.prototxt"), net);
  expect_clean_failure("time --model=" + dir.file("net.prototxt"), {"\"Convolutoin\"", "known types", "Convolution"});
}

TEST(Cli, ZeroBatchIsRejected) {
  TempDir dir;
  test::write_idx_pair(dir.file("images.idx"), dir.file("labels.idx"), 10, 6, 6, 2);
  const std::string net = "layer { name: \"d\" type: \"IdxData\" top: \"data\" top: \"label\" idx_data_param { images: \"" +
                          dir.file("images.idx") + "\" labels: \"" + dir.file("labels.idx") + "\" batch_size: 0 } }\n";
  write_text(dir.file("net.prototxt"), net);
  expect_clean_failure("time --model=" + dir.file("net.prototxt"), {"\"d\"", "batch"});
}

TEST(Cli, MissingDataFileNamesThePath) {
  TempDir dir;
  const std::string net = "layer { name: \"d\" type: \"IdxData\" top: \"data\" top: \"label\" idx_data_param { images: \"" +
                          dir.file("absent-images.gz") + "\" labels: \"" + dir.file("absent-labels.gz") +
                          "\" batch_size: 4 } }\n";
  write_text(dir.file("net.prototxt"), net);
  expect_clean_failure("time --model=" + dir.file("net.prototxt"), {dir.file("absent-images.gz")});
}

TEST(Cli, MissingGpuIsAClearError) {
  TempDir dir;
  write_text(dir.file("net.prototxt"), kNet);
  expect_clean_failure("time --gpu=99 --iterations=1 --model=" + dir.file("net.prototxt"), {"--gpu=99"});
}

TEST(Cli, TimeReportsLayersAndTotal) {
  TempDir dir;
  write_text(dir.file("net.prototxt"), kNet);
  const auto result = run_hwgq("time --iterations=2 --batch=3 --model=" + dir.file("net.prototxt"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("conv\tforward:"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("conv\tbackward:"), std::string::npos);
  EXPECT_NE(result.output.find("Average Forward-Backward:"), std::string::npos);
}

}  // namespace
}  // namespace hwgq
