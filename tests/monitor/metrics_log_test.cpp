#include "hwgq/monitor/metrics_log.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "hwgq/common.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

TrainingRecord train_record(int iteration, float loss) {
  TrainingRecord record;
  record.phase = TrainingRecord::Phase::kTrain;
  record.iteration = iteration;
  record.learning_rate = 0.01f;
  record.smoothed_loss = loss;
  record.outputs = {{"loss", loss + 0.5f}};
  record.images_per_iteration = 64;
  record.images_per_second = 6284.84;
  record.wall_seconds = 1.2345;
  return record;
}

TrainingRecord test_record(int iteration, float accuracy) {
  TrainingRecord record;
  record.phase = TrainingRecord::Phase::kTest;
  record.iteration = iteration;
  record.test_net = 1;
  record.learning_rate = 0.005f;
  record.outputs = {{"accuracy", accuracy}, {"prob#3", 0.25f}, {"weird \"name\"", 1.f}};
  record.images_per_iteration = 64;
  record.wall_seconds = 10;
  return record;
}

TEST(MetricsLogTest, LinesAreJsonWithShortestNumbers) {
  EXPECT_EQ(metrics_json_line(train_record(100, 0.25f)),
            "{\"phase\":\"train\",\"iteration\":100,\"lr\":0.01,\"loss\":0.25,\"outputs\":{\"loss\":0.75},"
            "\"images_per_iteration\":64,\"images_per_s\":6284.8,\"wall_s\":1.235}");
  EXPECT_EQ(metrics_json_line(test_record(200, 0.875f)),
            "{\"phase\":\"test\",\"net\":1,\"iteration\":200,\"lr\":0.005,\"outputs\":{\"accuracy\":0.875,"
            "\"prob#3\":0.25,\"weird \\\"name\\\"\":1},\"images_per_iteration\":64,\"wall_s\":10}");
}

TEST(MetricsLogTest, ReadsBackWhatItWrote) {
  test::TempDir dir;
  const std::string path = dir.file("run_metrics.jsonl");
  {
    MetricsLog log(path);
    log.write(train_record(0, 2.5f));
    log.write(train_record(100, NAN));  // non-finite: written as null
    log.write(test_record(100, 0.875f));
  }
  const auto records = read_metrics_log(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].phase, TrainingRecord::Phase::kTrain);
  EXPECT_EQ(records[0].smoothed_loss, 2.5f);
  EXPECT_EQ(records[0].learning_rate, 0.01f);
  EXPECT_EQ(records[0].outputs.at(0).second, 3.0f);
  EXPECT_DOUBLE_EQ(records[0].images_per_second, 6284.8);
  EXPECT_TRUE(std::isnan(records[1].smoothed_loss));
  EXPECT_EQ(records[2].phase, TrainingRecord::Phase::kTest);
  EXPECT_EQ(records[2].test_net, 1);
  EXPECT_EQ(records[2].iteration, 100);
  ASSERT_EQ(records[2].outputs.size(), 3u);
  EXPECT_EQ(records[2].outputs[2].first, "weird \"name\"");
  EXPECT_EQ(records[2].outputs[0].second, 0.875f);
}

TEST(MetricsLogTest, AResumedRunKeepsTheEarlierLinesBeforeItsIteration) {
  test::TempDir dir;
  const std::string path = dir.file("run_metrics.jsonl");
  {
    MetricsLog log(path);
    for (int it : {0, 100, 200, 300}) log.write(train_record(it, 1.f));
    log.write(test_record(200, 0.5f));
  }
  {
    std::ofstream cut(path, std::ios::app);
    cut << "{\"phase\":\"train\",\"iter";  // the earlier run died mid-line
  }
  {
    MetricsLog log(path, 200);
    log.write(train_record(200, 0.75f));
  }
  const auto records = read_metrics_log(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].iteration, 0);
  EXPECT_EQ(records[1].iteration, 100);
  EXPECT_EQ(records[2].iteration, 200);
  EXPECT_EQ(records[2].smoothed_loss, 0.75f);
  // A fresh run starts the file anew.
  { MetricsLog log(path); }
  EXPECT_TRUE(read_metrics_log(path).empty());
}

TEST(MetricsLogTest, BadFilesAreErrorsNamingTheLine) {
  test::TempDir dir;
  test::write_text(dir.file("bad.jsonl"), metrics_json_line(train_record(0, 1.f)) + "\n{\"phase\":\"train\"}\n");
  try {
    read_metrics_log(dir.file("bad.jsonl"));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("bad.jsonl:2"), std::string::npos) << error.what();
  }
  test::write_text(dir.file("junk.jsonl"), "{\"phase\":\"train\",\"iteration\":1,\"colour\":3}\n");
  EXPECT_THROW(read_metrics_log(dir.file("junk.jsonl")), Error);
  test::write_text(dir.file("trailing.jsonl"), "{\"phase\":\"test\",\"iteration\":1} x\n");
  EXPECT_THROW(read_metrics_log(dir.file("trailing.jsonl")), Error);
  EXPECT_THROW(read_metrics_log(dir.path()), Error);
  EXPECT_THROW(read_metrics_log(dir.file("missing.jsonl")), Error);
  EXPECT_THROW(MetricsLog(dir.file("no/such/folder/m.jsonl")), Error);
}

}  // namespace
}  // namespace hwgq
