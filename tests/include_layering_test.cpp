// The part boundaries the build relies on, checked on the sources: quant/ is below the
// layers (layers include it, never the reverse), and only the CLI and benchmarks parse
// command-line flags, so the library links no gflags.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The "#include ..." lines of every C++/CUDA file under the given source-relative folders.
struct IncludeLine {
  std::string file;
  std::string line;
};
std::vector<IncludeLine> include_lines(const std::vector<std::string>& folders) {
  std::vector<IncludeLine> result;
  for (const auto& folder : folders) {
    const fs::path root = fs::path(HWGQ_SOURCE_DIR) / folder;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".cu" && ext != ".cuh")) continue;
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        if (line.rfind("#include", 0) == 0) result.push_back({entry.path().string(), line});
      }
    }
  }
  return result;
}

TEST(IncludeLayering, QuantIncludesNothingAboveIt) {
  const auto lines = include_lines({"include/hwgq/quant", "src/quant", "cuda/quant"});
  ASSERT_FALSE(lines.empty()) << "no sources found under " << HWGQ_SOURCE_DIR;
  for (const auto& include : lines) {
    for (const char* above : {"hwgq/layers/", "hwgq/layer.hpp", "hwgq/net.hpp", "hwgq/deploy/", "hwgq/analysis/",
                              "hwgq/data/"}) {
      EXPECT_EQ(include.line.find(above), std::string::npos) << include.file << ": " << include.line;
    }
  }
}

TEST(IncludeLayering, LibraryParsesNoCommandLineFlags) {
  const auto lines = include_lines({"include", "src", "cuda"});
  ASSERT_FALSE(lines.empty()) << "no sources found under " << HWGQ_SOURCE_DIR;
  for (const auto& include : lines) {
    EXPECT_EQ(include.line.find("gflags"), std::string::npos) << include.file << ": " << include.line;
  }
}

}  // namespace
