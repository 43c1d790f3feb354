#include "hwgq/monitor/tensorboard_events.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "hwgq/common.hpp"

namespace hwgq {

namespace {

// Protocol-buffer wire encoding for the handful of fields an Event with scalar summaries
// needs (Event: wall_time 1 double, step 2 int64, file_version 3 string, summary 5;
// Summary: value 1 repeated; Summary.Value: tag 1 string, simple_value 2 float).
void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}
void put_key(std::string& out, int field, int wire_type) { put_varint(out, (uint64_t(field) << 3) | wire_type); }
void put_bytes(std::string& out, int field, const std::string& bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}
template <typename T>
void put_fixed(std::string& out, int field, T value) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "fixed32 or fixed64");
  put_key(out, field, sizeof(T) == 8 ? 1 : 5);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian, as the wire format is
  out.append(bytes, sizeof(T));
}

std::string event_header(double wall_time, int64_t step) {
  std::string event;
  put_fixed(event, 1, wall_time);
  put_key(event, 2, 0);
  put_varint(event, static_cast<uint64_t>(step));
  return event;
}

std::string scalar_value(const std::string& tag, float value) {
  std::string summary_value;
  put_bytes(summary_value, 1, tag);
  put_fixed(summary_value, 2, value);
  return summary_value;
}

double unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;  // reflected Castagnoli
    table[i] = crc;
  }
  return table;
}

}  // namespace

uint32_t crc32c(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = make_crc32c_table();
  uint32_t crc = 0xFFFFFFFFu;
  for (const char c : bytes) crc = table[(crc ^ static_cast<unsigned char>(c)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const std::string& bytes) {
  const uint32_t crc = crc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

TensorBoardEventWriter::TensorBoardEventWriter(const std::string& log_dir) {
  std::error_code error;
  std::filesystem::create_directories(log_dir, error);
  HWGQ_REQUIRE(std::filesystem::is_directory(log_dir), "cannot create the TensorBoard log directory " << log_dir);
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  path_ = (std::filesystem::path(log_dir) /
           ("events.out.tfevents." + std::to_string(static_cast<long long>(unix_seconds())) + "." + host + "." +
            std::to_string(getpid())))
              .string();
  out_.open(path_, std::ios::binary | std::ios::trunc);
  HWGQ_REQUIRE(out_.good(), "cannot write the TensorBoard event file " << path_);
  std::string first = event_header(unix_seconds(), 0);
  put_bytes(first, 3, "brain.Event:2");
  write_event(first);
}

void TensorBoardEventWriter::write(const TrainingRecord& record) {
  std::string summary;
  auto add = [&summary](const std::string& tag, double value) {
    if (std::isfinite(value)) put_bytes(summary, 1, scalar_value(tag, static_cast<float>(value)));
  };
  const bool train = record.phase == TrainingRecord::Phase::kTrain;
  // The smoothed loss is train/loss; the training net's own outputs go under train/output/.
  const std::string prefix = train ? "train/output/" : "test" + std::to_string(record.test_net) + "/";
  if (train) {
    add("train/loss", record.smoothed_loss);
    add("train/lr", record.learning_rate);
    if (record.images_per_second > 0) add("train/images_per_s", record.images_per_second);
  }
  for (const auto& [name, value] : record.outputs) add(prefix + name, value);
  std::string event = event_header(unix_seconds(), record.iteration);
  put_bytes(event, 5, summary);
  write_event(event);
}

void TensorBoardEventWriter::write_event(const std::string& event_bytes) {
  // TFRecord framing: length (u64), masked CRC of the length, the bytes, masked CRC of them.
  std::string length(8, '\0');
  const uint64_t size = event_bytes.size();
  std::memcpy(length.data(), &size, 8);
  const uint32_t length_crc = masked_crc32c(length);
  const uint32_t data_crc = masked_crc32c(event_bytes);
  out_.write(length.data(), 8);
  out_.write(reinterpret_cast<const char*>(&length_crc), 4);
  out_.write(event_bytes.data(), event_bytes.size());
  out_.write(reinterpret_cast<const char*>(&data_crc), 4);
  out_.flush();
  HWGQ_REQUIRE(out_.good(), "cannot write the TensorBoard event file " << path_);
}

}  // namespace hwgq
