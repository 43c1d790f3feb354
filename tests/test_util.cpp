#include "test_util.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "hwgq/util/io.hpp"

namespace hwgq::test {

TempDir::TempDir() {
  std::random_device device;
  const auto base = std::filesystem::temp_directory_path();
  for (;;) {
    auto candidate = base / ("hwgq_test_" + std::to_string(device()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate.string();
      break;
    }
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

NetParameter net_from_text(const std::string& text) {
  NetParameter param;
  parse_text_proto(text, "test net", &param);
  return param;
}

SolverParameter solver_from_text(const std::string& text) {
  SolverParameter param;
  parse_text_proto(text, "test solver", &param);
  return param;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

CommandResult run_shell(const std::string& command) {
  CommandResult result{-1, ""};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string test_python() {
  const char* python = std::getenv("HWGQ_TEST_PYTHON");
  return python == nullptr ? "" : python;
}

CommandResult run_hwgq(const std::string& arguments) {
  return run_shell(std::string("cd ") + HWGQ_SOURCE_DIR + " && " + HWGQ_BINARY_PATH + " " + arguments);
}

namespace {
void put_u32(std::ofstream& out, uint32_t v) {
  const unsigned char bytes[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                                  static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  out.write(reinterpret_cast<const char*>(bytes), 4);
}
}  // namespace

void write_idx_pair(const std::string& images, const std::string& labels, int n, int rows, int cols, int classes) {
  std::ofstream img(images, std::ios::binary);
  put_u32(img, 0x00000803);
  put_u32(img, n);
  put_u32(img, rows);
  put_u32(img, cols);
  for (int i = 0; i < n; ++i) {
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) img.put(static_cast<char>((i * 7 + r * 3 + c) % 256));
    }
  }
  std::ofstream lab(labels, std::ios::binary);
  put_u32(lab, 0x00000801);
  put_u32(lab, n);
  for (int i = 0; i < n; ++i) lab.put(static_cast<char>(i % classes));
}

void fill_gaussian(Blob* blob, uint64_t seed, float mean, float stddev) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> dist(mean, stddev);
  float* x = blob->mutable_cpu_data();
  for (int i = 0; i < blob->count(); ++i) x[i] = dist(gen);
}

void fill_uniform(Blob* blob, uint64_t seed, float low, float high) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(low, high);
  float* x = blob->mutable_cpu_data();
  for (int i = 0; i < blob->count(); ++i) x[i] = dist(gen);
}

void fill_labels(Blob* blob, int classes, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int> dist(0, classes - 1);
  float* x = blob->mutable_cpu_data();
  for (int i = 0; i < blob->count(); ++i) x[i] = static_cast<float>(dist(gen));
}

}  // namespace hwgq::test
