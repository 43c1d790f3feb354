#include "hwgq/monitor/metrics_log.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

namespace {

// The shortest text that reads back as the same value (0.01f is written 0.01, not
// 0.00999999978).
template <typename T>
std::string json_number(T value) {
  if (!std::isfinite(value)) return "null";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      quoted += buffer;
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

// A reader for the JSON this file writes (objects, strings, numbers, null), strict enough
// to reject anything else with the line it came from.
class JsonLineReader {
 public:
  JsonLineReader(const std::string& text, const std::string& where) : text_(text), where_(where) {}

  TrainingRecord record() {
    TrainingRecord record;
    bool has_phase = false, has_iteration = false;
    object([&](const std::string& key) {
      if (key == "phase") {
        const std::string phase = string();
        HWGQ_REQUIRE(phase == "train" || phase == "test", where_ << ": phase must be \"train\" or \"test\"");
        record.phase = phase == "train" ? TrainingRecord::Phase::kTrain : TrainingRecord::Phase::kTest;
        has_phase = true;
      } else if (key == "iteration") {
        record.iteration = static_cast<int>(number());
        has_iteration = true;
      } else if (key == "net") {
        record.test_net = static_cast<int>(number());
      } else if (key == "lr") {
        record.learning_rate = static_cast<float>(number());
      } else if (key == "loss") {
        record.smoothed_loss = static_cast<float>(number());
      } else if (key == "images_per_iteration") {
        record.images_per_iteration = static_cast<int>(number());
      } else if (key == "images_per_s") {
        record.images_per_second = number();
      } else if (key == "wall_s") {
        record.wall_seconds = number();
      } else if (key == "outputs") {
        object([&](const std::string& name) { record.outputs.emplace_back(name, static_cast<float>(number())); });
      } else {
        HWGQ_FAIL(where_ << ": unknown key \"" << key << "\"");
      }
    });
    skip_space();
    HWGQ_REQUIRE(pos_ == text_.size(), where_ << ": text after the record");
    HWGQ_REQUIRE(has_phase && has_iteration, where_ << ": a record needs \"phase\" and \"iteration\"");
    return record;
  }

 private:
  template <typename OnKey>
  void object(OnKey on_key) {
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    while (true) {
      const std::string key = string();
      expect(':');
      on_key(key);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return;
    }
  }

  std::string string() {
    expect('"');
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\') {
        HWGQ_REQUIRE(pos_ < text_.size(), where_ << ": unfinished string");
        c = text_[pos_++];
        if (c == 'u') {
          HWGQ_REQUIRE(pos_ + 4 <= text_.size(), where_ << ": bad \\u escape");
          c = static_cast<char>(std::strtol(text_.substr(pos_, 4).c_str(), nullptr, 16));
          pos_ += 4;
        }
      }
      value += c;
    }
    HWGQ_REQUIRE(pos_ < text_.size(), where_ << ": unfinished string");
    ++pos_;
    return value;
  }

  double number() {
    skip_space();
    if (text_.compare(pos_, 4, "null") == 0) {
      pos_ += 4;
      return NAN;
    }
    const char* start = text_.c_str() + pos_;
    char* end = nullptr;
    const double value = std::strtod(start, &end);
    HWGQ_REQUIRE(end != start, where_ << ": expected a number at column " << pos_ + 1);
    pos_ += end - start;
    return value;
  }

  void expect(char c) {
    skip_space();
    HWGQ_REQUIRE(peek() == c, where_ << ": expected '" << c << "' at column " << pos_ + 1);
    ++pos_;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) ++pos_;
  }

  const std::string& text_;
  std::string where_;
  size_t pos_ = 0;
};

}  // namespace

std::string metrics_json_line(const TrainingRecord& record) {
  const bool train = record.phase == TrainingRecord::Phase::kTrain;
  std::ostringstream line;
  line << "{\"phase\":" << (train ? "\"train\"" : "\"test\"");
  if (!train) line << ",\"net\":" << record.test_net;
  line << ",\"iteration\":" << record.iteration << ",\"lr\":" << json_number(record.learning_rate);
  if (train) line << ",\"loss\":" << json_number(record.smoothed_loss);
  line << ",\"outputs\":{";
  for (size_t i = 0; i < record.outputs.size(); ++i) {
    line << (i ? "," : "") << json_string(record.outputs[i].first) << ":" << json_number(record.outputs[i].second);
  }
  line << "},\"images_per_iteration\":" << record.images_per_iteration;
  if (train && record.images_per_second > 0) line << ",\"images_per_s\":" << json_number(std::round(record.images_per_second * 10) / 10);
  line << ",\"wall_s\":" << json_number(std::round(record.wall_seconds * 1000) / 1000) << "}";
  return line.str();
}

MetricsLog::MetricsLog(const std::string& path, int resume_iteration) : path_(path) {
  std::string kept;
  if (resume_iteration >= 0) {
    std::ifstream earlier(path);
    std::string line;
    int number = 0;
    while (earlier && std::getline(earlier, line)) {
      ++number;
      if (line.empty()) continue;
      // A line cut short by the end of the earlier run is dropped, not an error.
      try {
        if (JsonLineReader(line, path + ":" + std::to_string(number)).record().iteration < resume_iteration) {
          kept += line + "\n";
        }
      } catch (const Error&) {
      }
    }
  }
  write_file_atomic(path, kept);
  out_.open(path, std::ios::app);
  HWGQ_REQUIRE(out_.good(), "cannot write the metrics file " << path);
}

void MetricsLog::write(const TrainingRecord& record) {
  out_ << metrics_json_line(record) << "\n";
  out_.flush();
  HWGQ_REQUIRE(out_.good(), "cannot write the metrics file " << path_);
}

std::vector<TrainingRecord> read_metrics_log(const std::string& path) {
  HWGQ_REQUIRE(std::filesystem::is_regular_file(path), "the metrics file " << path << " does not exist or is not a file");
  std::ifstream in(path);
  HWGQ_REQUIRE(in.good(), "cannot open the metrics file " << path);
  std::vector<TrainingRecord> records;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    records.push_back(JsonLineReader(line, path + ":" + std::to_string(number)).record());
  }
  return records;
}

}  // namespace hwgq
