#include "hwgq/monitor/tensorboard_events.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "hwgq/common.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

TEST(TensorBoardEventsTest, Crc32cCheckValues) {
  // The CRC-32C check value (RFC 3720, B.4) and an all-zero 32-byte block from the same table.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(""), 0u);
}

// Reads the TFRecord frames back, checking both CRCs of each; returns the payloads.
std::vector<std::string> read_frames(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> frames;
  size_t pos = 0;
  while (pos < bytes.size()) {
    EXPECT_LE(pos + 12, bytes.size());
    uint64_t length = 0;
    uint32_t length_crc = 0, data_crc = 0;
    std::memcpy(&length, bytes.data() + pos, 8);
    std::memcpy(&length_crc, bytes.data() + pos + 8, 4);
    EXPECT_EQ(length_crc, masked_crc32c(bytes.substr(pos, 8)));
    const std::string data = bytes.substr(pos + 12, length);
    std::memcpy(&data_crc, bytes.data() + pos + 12 + length, 4);
    EXPECT_EQ(data_crc, masked_crc32c(data));
    frames.push_back(data);
    pos += 12 + length + 4;
  }
  EXPECT_EQ(pos, bytes.size());
  return frames;
}

TEST(TensorBoardEventsTest, WritesFramedEventsWithTheScalars) {
  test::TempDir dir;
  std::string path;
  {
    TensorBoardEventWriter writer(dir.file("logs/run1"));
    path = writer.path();
    TrainingRecord train;
    train.iteration = 300;
    train.smoothed_loss = 0.5f;
    train.learning_rate = 0.01f;
    train.images_per_second = 1000;
    train.outputs = {{"loss", 0.4f}};
    writer.write(train);
    TrainingRecord test;
    test.phase = TrainingRecord::Phase::kTest;
    test.test_net = 0;
    test.iteration = 300;
    test.outputs = {{"accuracy", 0.9f}, {"loss", NAN}};  // non-finite values are left out
    writer.write(test);
  }
  EXPECT_NE(std::filesystem::path(path).filename().string().find("events.out.tfevents."), std::string::npos);
  const auto frames = read_frames(path);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_NE(frames[0].find("brain.Event:2"), std::string::npos);
  for (const char* tag : {"train/loss", "train/lr", "train/images_per_s"}) {
    EXPECT_NE(frames[1].find(tag), std::string::npos) << tag;
  }
  {
    EXPECT_NE(frames[1].find("train/output/loss"), std::string::npos);
  }
  EXPECT_NE(frames[2].find("test0/accuracy"), std::string::npos);
  EXPECT_EQ(frames[2].find("test0/loss"), std::string::npos);
  // Event.step = 300 as a varint after key 0x10.
  EXPECT_NE(frames[1].find(std::string("\x10\xac\x02", 3)), std::string::npos);
}

TEST(TensorBoardEventsTest, UnwritableFolderIsAnError) {
  test::TempDir dir;
  test::write_text(dir.file("a_file"), "x");
  EXPECT_THROW(TensorBoardEventWriter(dir.file("a_file")), Error);
}

}  // namespace
}  // namespace hwgq
