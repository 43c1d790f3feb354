#include "hwgq/layers/conv_engine_choices.hpp"

#include <glog/logging.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "hwgq/kernels/cpu_features.hpp"

#ifdef HWGQ_WITH_DNNL
#include <oneapi/dnnl/dnnl_version.h>
#endif

namespace hwgq {

namespace {

std::string choices_path() {
  if (const char* path = std::getenv("HWGQ_CONV_ENGINE_CACHE")) return std::string(path) == "none" ? "" : path;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/hwgq/conv_engines.tsv";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/hwgq/conv_engines.tsv";
  return "";
}

std::optional<ConvEngine> parse_engine(const std::string& name) {
  if (name == "im2col") return ConvEngine::Im2col;
  if (name == "dnnl") return ConvEngine::Dnnl;
  return std::nullopt;
}

// Choices known to this process, and the file's, read when a key is missing from memory
// (another process may have added it since).
class Choices {
 public:
  std::optional<ConvEngine> find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto known = chosen_.find(key); known != chosen_.end()) return known->second;
    read_file();
    if (auto known = chosen_.find(key); known != chosen_.end()) return known->second;
    return std::nullopt;
  }

  ConvEngine record(const std::string& key, ConvEngine measured) {
    std::lock_guard<std::mutex> lock(mutex_);
    read_file();
    if (auto known = chosen_.find(key); known != chosen_.end()) return known->second;
    chosen_[key] = measured;
    append_to_file(key, measured);
    // Another process may have appended the same key between the read and the append; the
    // first line wins for everyone, this process included.
    read_file(/*override_memory=*/true, key);
    return chosen_[key];
  }

 private:
  // Adds the file's first choice per key to memory (for `override_key`, even over a value
  // already in memory).
  void read_file(bool override_memory = false, const std::string& override_key = "") {
    const std::string path = choices_path();
    if (path.empty() || path == unwritable_) return;
    std::ifstream in(path);
    if (!in) return;  // not written yet
    std::map<std::string, ConvEngine> first;
    std::string line;
    while (std::getline(in, line)) {
      const size_t tab = line.rfind('\t');
      if (tab == std::string::npos) continue;  // a torn or foreign line: skipped
      const std::optional<ConvEngine> engine = parse_engine(line.substr(tab + 1));
      if (!engine) continue;
      first.emplace(line.substr(0, tab), *engine);
    }
    for (const auto& [key, engine] : first) {
      if (override_memory && key == override_key) {
        chosen_[key] = engine;
      } else {
        chosen_.emplace(key, engine);
      }
    }
  }

  void append_to_file(const std::string& key, ConvEngine engine) {
    const std::string path = choices_path();
    if (path.empty() || path == unwritable_) return;
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
    // One write of one short line in append mode: lines of concurrent writers do not mix.
    std::ofstream out(path, std::ios::app);
    const std::string line = key + '\t' + (engine == ConvEngine::Dnnl ? "dnnl" : "im2col") + '\n';
    if (out) out.write(line.data(), static_cast<std::streamsize>(line.size())).flush();
    if (!out) {
      unwritable_ = path;
      LOG(WARNING) << "cannot write the convolution engine choices to " << path
                   << " (set HWGQ_CONV_ENGINE_CACHE to another file, or none): they are kept for this process only";
    }
  }

  std::mutex mutex_;
  std::map<std::string, ConvEngine> chosen_;
  std::string unwritable_;  // warned about once; memory only while the path stays this
};

Choices& choices() {
  static Choices* instance = new Choices;  // never destroyed: layers may run during exit
  return *instance;
}

}  // namespace

std::optional<ConvEngine> recorded_conv_engine(const std::string& key) { return choices().find(key); }

ConvEngine record_conv_engine(const std::string& key, ConvEngine measured) {
  return choices().record(key, measured);
}

std::string conv_engine_machine_key(int threads) {
  std::ostringstream key;
  key << kernels::cpu_features().cpu_name;
#ifdef HWGQ_WITH_DNNL
  key << " | oneDNN " << DNNL_VERSION_MAJOR << '.' << DNNL_VERSION_MINOR << '.' << DNNL_VERSION_PATCH;
#else
  key << " | no oneDNN";
#endif
  key << " | " << threads << " threads";
  return key.str();
}

}  // namespace hwgq
