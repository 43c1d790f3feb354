// What every fuzz target shares: quiet logging, a scratch file for APIs that read paths,
// and the bounds that keep one input's work small (a few MB, well under a second).
//
// Bounds apply only where hwgq is right to accept the input: a net may legitimately ask
// for a 4 GB blob, but one fuzz input must not, so such inputs are skipped here rather
// than refused by the library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <google/protobuf/message.h>

namespace hwgq {
class Net;
}

namespace hwgq::fuzz {

// Silences glog below FATAL (every refused input would otherwise log) and makes the random
// generator of this thread deterministic, so that a crash reproduces from its input alone.
void init_fuzz_target();

// A file under $TMPDIR (or /tmp) private to this process, for APIs that take a path.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& name);
  ~ScratchFile();
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const std::string& path() const { return path_; }
  void write(const void* data, size_t size) const;
  void write(const std::string& bytes) const { write(bytes.data(), bytes.size()); }

 private:
  std::string path_;
};

// Lowers every integer field above `max_value`, anywhere in `message`, to `max_value`, and
// drops repeated message entries beyond the first `max_repeated`. Negative values stay:
// they cost nothing and hwgq must refuse them itself.
void clamp_integers(google::protobuf::Message* message, int64_t max_value, int max_repeated);

// Clears every string field naming a file (source, mean_file, images, labels,
// root_folder, net, train_net, test_net, weights, snapshot_prefix), anywhere in `message`:
// a fuzz input must not read /dev/zero or whatever else the machine holds.
void clear_file_paths(google::protobuf::Message* message);

// Floats a forward and backward pass of `net` touch, roughly: every blob's count plus, per
// layer, its outputs times the weights each output reads. Inputs above a budget are
// built but not run.
int64_t approximate_work(const Net& net);

}  // namespace hwgq::fuzz
