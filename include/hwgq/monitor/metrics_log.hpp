// The machine-readable record of a training run: one JSON object per line, one line per
// TrainingRecord, flushed as it is written so that a run that dies keeps every line so far.
//
//   {"phase":"train","iteration":100,"lr":0.01,"loss":0.5312,"outputs":{"loss":0.4801},
//    "images_per_iteration":64,"images_per_s":6284.8,"wall_s":1.02}
//   {"phase":"test","net":0,"iteration":1000,"lr":0.01,"outputs":{"accuracy":0.8712,...},
//    "images_per_iteration":64,"wall_s":10.7}
//
// Non-finite values are written as null (JSON has no NaN).
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include "hwgq/training_record.hpp"

namespace hwgq {

class MetricsLog {
 public:
  // Starts `path` afresh, or, for a run resumed at `resume_iteration` (>= 0), keeps the
  // lines of the earlier run before that iteration (the resumed run writes the rest again).
  // Raises hwgq::Error when the file cannot be written.
  explicit MetricsLog(const std::string& path, int resume_iteration = -1);
  void write(const TrainingRecord& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

// One line of a metrics file as JSON text.
std::string metrics_json_line(const TrainingRecord& record);

// Reads a metrics file back; raises hwgq::Error naming the file and line on bad input.
std::vector<TrainingRecord> read_metrics_log(const std::string& path);

}  // namespace hwgq
