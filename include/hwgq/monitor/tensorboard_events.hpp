// Training records as TensorBoard scalars: an event file (TFRecord framing of Event
// protocol buffers) that TensorBoard reads from a log directory. Tags: train/loss (the
// smoothed loss the log shows), train/lr, train/images_per_s, train/output/<output> and
// test<k>/<output> for test net k.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include "hwgq/training_record.hpp"

namespace hwgq {

class TensorBoardEventWriter {
 public:
  // Creates `log_dir` if needed and a new events.out.tfevents.<seconds>.<host>.<pid> file in it.
  explicit TensorBoardEventWriter(const std::string& log_dir);
  void write(const TrainingRecord& record);
  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& event_bytes);

  std::string path_;
  std::ofstream out_;
};

// CRC-32C (Castagnoli), and the masked form TFRecord frames carry; exposed for tests.
uint32_t crc32c(const std::string& bytes);
uint32_t masked_crc32c(const std::string& bytes);

}  // namespace hwgq
