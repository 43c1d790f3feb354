// Shared basics: the user-error exception, the run context (CPU/GPU mode, random
// generator) and small helpers every part of hwgq uses.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace hwgq {

// A user mistake (bad prototxt, missing file, shape mismatch, invalid value). Raised with
// enough context to fix the input; the CLI prints what() on one line and exits non-zero.
// Programmer invariants use glog's CHECK instead.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

namespace detail {
[[noreturn]] void throw_error(const std::string& message);
}  // namespace detail

}  // namespace hwgq

// HWGQ_REQUIRE(cond, "layer " << name << " needs ...") throws hwgq::Error when cond is false.
#define HWGQ_REQUIRE(cond, stream_expr)                         \
  do {                                                          \
    if (!(cond)) {                                              \
      std::ostringstream hwgq_require_stream_;                  \
      hwgq_require_stream_ << stream_expr;                      \
      ::hwgq::detail::throw_error(hwgq_require_stream_.str());  \
    }                                                           \
  } while (0)

#define HWGQ_FAIL(stream_expr) HWGQ_REQUIRE(false, stream_expr)

namespace hwgq {

enum class Mode { CPU, GPU };

// Run settings of the calling thread: each thread has its own Context, so a net trained
// on one thread (say on GPU 1, seeded) and another used from a second thread (say an
// interpreter's, on the CPU) do not change each other's mode, device or random stream.
// The solver and CLI set up the Context of the thread that runs the nets, before they run.
//
// A thread's Context is made at its first get(), with mode CPU, device 0 (the device
// CUDA makes current on a new thread) and a generator seeded from std::random_device
// (unseeded runs differ). Nothing is inherited from the thread that started it, so a
// thread that builds or runs nets sets its own mode, device and seed. hwgq's own worker
// threads (data prefetch and decoding) never read a Context: data layers take what they
// need (seed, device, mode) at setup, on the net's thread.
class Context {
 public:
  static Context& get();

  Mode mode() const { return mode_; }
  void set_mode(Mode mode) { mode_ = mode; }
  int device() const { return device_; }
  void set_device(int device) { device_ = device; }

  // All randomness (fillers, dropout, data shuffling) flows from this generator so that
  // one random_seed reproduces a whole run.
  std::mt19937_64& rng() { return rng_; }
  void set_random_seed(uint64_t seed) { rng_.seed(seed); seeded_ = true; }
  bool seeded() const { return seeded_; }

 private:
  Context();
  Mode mode_ = Mode::CPU;
  int device_ = 0;
  bool seeded_ = false;
  std::mt19937_64 rng_;
};

// Whether this build contains the CUDA backend.
bool cuda_compiled();

// "2 x 3 x 4 (24)" style rendering of a shape.
std::string shape_string(const std::vector<int>& shape);

}  // namespace hwgq
