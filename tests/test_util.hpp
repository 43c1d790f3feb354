// Helpers shared by tests: temporary folders, parsing prototxt snippets, running the CLI,
// filling blobs with reproducible random values.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

#include "hwgq/blob.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq::test {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

NetParameter net_from_text(const std::string& text);
SolverParameter solver_from_text(const std::string& text);
void write_text(const std::string& path, const std::string& text);

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line; stdout and stderr are captured together.
CommandResult run_shell(const std::string& command);
// The Python that tests run checks with (tensorboard, onnxruntime, numpy installed):
// $HWGQ_TEST_PYTHON, or "" when it is unset. scripts/test.sh makes one.
std::string test_python();
// Skips the test when there is no test Python, unless HWGQ_REQUIRE_PYTHON_TESTS=1 (as in
// scripts/test.sh), where a missing one fails it.
#define HWGQ_SKIP_WITHOUT_TEST_PYTHON()                                                                  \
  do {                                                                                                   \
    if (::hwgq::test::test_python().empty()) {                                                           \
      const char* required = std::getenv("HWGQ_REQUIRE_PYTHON_TESTS");                                  \
      ASSERT_FALSE(required != nullptr && std::string(required) == "1")                                 \
          << "HWGQ_REQUIRE_PYTHON_TESTS=1 but HWGQ_TEST_PYTHON is not set";                             \
      GTEST_SKIP() << "set HWGQ_TEST_PYTHON to a Python with tensorboard, onnxruntime and numpy "       \
                      "(scripts/test.sh makes build/test-venv)";                                         \
    }                                                                                                    \
  } while (0)
// Runs build/bin/hwgq with the given arguments (a shell-quoted string) from the source root.
CommandResult run_hwgq(const std::string& arguments);

// Writes a tiny IDX image/label pair: n images of rows x cols with pixel (i, r, c) =
// (i * 7 + r * 3 + c) % 256 and label i % classes.
void write_idx_pair(const std::string& images, const std::string& labels, int n, int rows, int cols, int classes);

// Random blob contents from a generator seeded by `seed` alone (never the run's generator,
// which the tests leave alone), so a test's inputs do not depend on what ran before it.
// Gaussian values (mean, stddev):
void fill_gaussian(Blob* blob, uint64_t seed, float mean = 0.f, float stddev = 1.f);
// Uniform values in [low, high):
void fill_uniform(Blob* blob, uint64_t seed, float low = -1.f, float high = 1.f);
// Integer class labels in [0, classes) stored as floats:
void fill_labels(Blob* blob, int classes, uint64_t seed);

}  // namespace hwgq::test
