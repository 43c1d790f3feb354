// `hwgq train` writes its metrics file (and TensorBoard events on request) and `hwgq plot`
// draws runs from metrics files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "hwgq/monitor/metrics_log.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

class MetricsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_idx_pair(dir_.file("images"), dir_.file("labels"), 12, 3, 3, 3);
    test::write_text(dir_.file("net.prototxt"), R"(
      layer { name: "data" type: "IdxData" top: "data" top: "label"
              idx_data_param { images: ")" + dir_.file("images") + R"(" labels: ")" + dir_.file("labels") +
                                                    R"(" batch_size: 4 } }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
              inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
      layer { name: "accuracy" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy"
              include { phase: TEST } }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" })");
    test::write_text(dir_.file("solver.prototxt"), "net: \"" + dir_.file("net.prototxt") +
                                                       "\" base_lr: 0.01 lr_policy: \"fixed\" max_iter: 20 display: 2 "
                                                       "test_interval: 10 test_iter: 3 snapshot: 10 "
                                                       "snapshot_prefix: \"" + dir_.file("run") + "\"");
  }
  test::TempDir dir_;
};

TEST_F(MetricsCli, TrainWritesOneLinePerDisplayAndTest) {
  const auto result = run_hwgq("train --solver=" + dir_.file("solver.prototxt"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto records = read_metrics_log(dir_.file("run_metrics.jsonl"));
  int train = 0, test = 0;
  for (const auto& record : records) {
    if (record.phase == TrainingRecord::Phase::kTrain) {
      EXPECT_EQ(record.iteration, 2 * train);
      EXPECT_EQ(record.images_per_iteration, 4);
      EXPECT_FLOAT_EQ(record.learning_rate, 0.01f);
      ASSERT_EQ(record.outputs.size(), 1u);
      EXPECT_EQ(record.outputs[0].first, "loss");
      ++train;
    } else {
      EXPECT_EQ(record.iteration, 10 * test);
      ASSERT_EQ(record.outputs.size(), 2u);
      EXPECT_EQ(record.outputs[0].first, "accuracy");
      ++test;
    }
  }
  EXPECT_EQ(train, 10);  // iterations 0, 2, ..., 18
  EXPECT_EQ(test, 3);    // iterations 0, 10 and 20

  // Resumed from iteration 10: the earlier lines before 10 stay, the rest is written again.
  const auto resumed = run_hwgq("train --solver=" + dir_.file("solver.prototxt") +
                                " --snapshot=" + dir_.file("run_iter_10.solverstate"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto after = read_metrics_log(dir_.file("run_metrics.jsonl"));
  ASSERT_EQ(after.size(), records.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].iteration, records[i].iteration);
    EXPECT_EQ(after[i].phase, records[i].phase);
  }

  // Two runs drawn together.
  std::filesystem::copy_file(dir_.file("run_metrics.jsonl"), dir_.file("other.jsonl"));
  const auto plot = run_hwgq("plot --metrics=" + dir_.file("run_metrics.jsonl") + "," + dir_.file("other.jsonl") +
                             " --legend=first,second --output=" + dir_.file("curves.svg"));
  ASSERT_EQ(plot.exit_code, 0) << plot.output;
  std::ifstream svg(dir_.file("curves.svg"));
  const std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("data-run=\"second\" data-series=\"test0/accuracy\""), std::string::npos);

  // PNG: rendered from the same figure (scripts/install_deps.sh installs rsvg-convert).
  const auto png = run_hwgq("plot --metrics=" + dir_.file("run_metrics.jsonl") + " --output=" + dir_.file("c.png"));
  ASSERT_EQ(png.exit_code, 0) << png.output;
  std::ifstream image(dir_.file("c.png"), std::ios::binary);
  std::string header(24, '\0');
  image.read(header.data(), 24);
  EXPECT_EQ(header.substr(0, 8), "\x89PNG\r\n\x1a\n");
  // IHDR width and height (big-endian) are the SVG's: 2 panels wide, 2 rows of panels.
  auto be32 = [&](int at) {
    return (uint32_t(uint8_t(header[at])) << 24) | (uint32_t(uint8_t(header[at + 1])) << 16) |
           (uint32_t(uint8_t(header[at + 2])) << 8) | uint32_t(uint8_t(header[at + 3]));
  };
  EXPECT_EQ(be32(16), 920u);
  EXPECT_EQ(be32(20), 28u + 2 * 280u);
  int leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    leftovers += entry.path().string().find(".tmp.") != std::string::npos;
  }
  EXPECT_EQ(leftovers, 0);
}

TEST_F(MetricsCli, MetricsCanBeRenamedOrTurnedOff) {
  ASSERT_EQ(run_hwgq("train --solver=" + dir_.file("solver.prototxt") + " --metrics=none").exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("run_metrics.jsonl")));
  ASSERT_EQ(run_hwgq("train --solver=" + dir_.file("solver.prototxt") + " --metrics=" + dir_.file("m.jsonl") +
                     " --tensorboard_dir=" + dir_.file("tb"))
                .exit_code,
            0);
  EXPECT_EQ(read_metrics_log(dir_.file("m.jsonl")).size(), 13u);
  int event_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.file("tb"))) {
    event_files += entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  }
  EXPECT_EQ(event_files, 1);
}

TEST_F(MetricsCli, PlotRejectsBadInput) {
  test::write_text(dir_.file("m.jsonl"), "{\"phase\":\"train\",\"iteration\":0,\"loss\":1}\n");
  auto expect_error = [](const std::string& arguments, const std::string& part) {
    const auto result = run_hwgq(arguments);
    EXPECT_EQ(result.exit_code, 1) << arguments << "\n" << result.output;
    EXPECT_NE(result.output.find(part), std::string::npos) << result.output;
  };
  expect_error("plot --output=" + dir_.file("a.svg"), "plot needs --metrics");
  expect_error("plot --metrics=" + dir_.file("m.jsonl"), "plot needs --output");
  expect_error("plot --metrics=" + dir_.file("m.jsonl") + " --output=" + dir_.file("a.pdf"), "writes SVG or PNG");
  expect_error("plot --metrics=" + dir_.file("missing.jsonl") + " --output=" + dir_.file("a.svg"), "missing.jsonl");
  expect_error("plot --metrics=" + dir_.file("m.jsonl") + " --x=epoch --output=" + dir_.file("a.svg"),
               "--epoch_size");
  expect_error("plot --metrics=" + dir_.file("m.jsonl") + " --legend=a,b --output=" + dir_.file("a.svg"),
               "--legend names 2 runs");
  expect_error("plot --metrics=" + dir_.file("m.jsonl") + " --series=test0/top5 --output=" + dir_.file("a.svg"),
               "test0/top5");
  expect_error("plot --metrics=" + dir_.file("m.jsonl") + " --output=" + dir_.file("m.svg") + " --x=time",
               "--x must be");
  EXPECT_FALSE(std::filesystem::exists(dir_.file("a.svg")));
}

// TensorBoard's own reader (Python `tensorboard` package) reads the event file of a real
// run and finds every scalar of its metrics file. scripts/test.sh provides the Python
// (HWGQ_TEST_PYTHON) and sets HWGQ_REQUIRE_PYTHON_TESTS=1 so that CI cannot skip this.
TEST(TensorBoardReader, ReadsWhatTrainWrote) {
  HWGQ_SKIP_WITHOUT_TEST_PYTHON();
  test::TempDir dir;
  const auto result = test::run_shell(test::test_python() + " " + HWGQ_SOURCE_DIR +
                                      "/tests/monitor/tensorboard_reader_check.py " + HWGQ_BINARY_PATH + " " +
                                      dir.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("scalars equal to the metrics file"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hwgq
