// The measured convolution engine choices shared by every process on a machine
// (hwgq/layers/conv_engine_choices.hpp): the first recorded choice wins, the file is the
// one HWGQ_CONV_ENGINE_CACHE names, and a file that cannot be written leaves the choices
// in memory.
#include "hwgq/layers/conv_engine_choices.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "hwgq/layers/conv_engine.hpp"
#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

// Points HWGQ_CONV_ENGINE_CACHE at `path` for one scope.
class ScopedChoicesFile {
 public:
  explicit ScopedChoicesFile(const std::string& path) {
    if (const char* old = std::getenv(kVariable)) old_ = old, had_ = true;
    setenv(kVariable, path.c_str(), 1);
  }
  ~ScopedChoicesFile() { had_ ? setenv(kVariable, old_.c_str(), 1) : unsetenv(kVariable); }

 private:
  static constexpr const char* kVariable = "HWGQ_CONV_ENGINE_CACHE";
  bool had_ = false;
  std::string old_;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConvEngineChoices, FirstRecordedChoiceWins) {
  test::TempDir dir;
  const std::string path = dir.path() + "/choices.tsv";
  ScopedChoicesFile file(path);
  // Written by "another process" before this one measured.
  std::ofstream(path) << "first-wins key\tim2col\n";
  EXPECT_EQ(record_conv_engine("first-wins key", ConvEngine::Dnnl), ConvEngine::Im2col);
  EXPECT_EQ(recorded_conv_engine("first-wins key"), ConvEngine::Im2col);
  // A new key is appended; recording it again changes nothing.
  EXPECT_EQ(record_conv_engine("new key\twith a tab", ConvEngine::Dnnl), ConvEngine::Dnnl);
  EXPECT_EQ(record_conv_engine("new key\twith a tab", ConvEngine::Im2col), ConvEngine::Dnnl);
  EXPECT_EQ(read_all(path), "first-wins key\tim2col\nnew key\twith a tab\tdnnl\n");
}

TEST(ConvEngineChoices, ReadsChoicesAppendedByOtherProcesses) {
  test::TempDir dir;
  const std::string path = dir.path() + "/choices.tsv";
  ScopedChoicesFile file(path);
  EXPECT_FALSE(recorded_conv_engine("appended later").has_value());
  std::ofstream(path, std::ios::app) << "torn line without a tab\nappended later\tbogus\nappended later\tdnnl\n";
  EXPECT_EQ(recorded_conv_engine("appended later"), ConvEngine::Dnnl);
}

TEST(ConvEngineChoices, UnwritableFileKeepsChoicesInMemory) {
  test::TempDir dir;
  const std::string blocker = dir.path() + "/not_a_directory";
  std::ofstream(blocker) << "x";
  ScopedChoicesFile file(blocker + "/choices.tsv");
  EXPECT_EQ(record_conv_engine("memory only", ConvEngine::Dnnl), ConvEngine::Dnnl);
  EXPECT_EQ(recorded_conv_engine("memory only"), ConvEngine::Dnnl);
}

TEST(ConvEngineChoices, MachineKeyNamesTheThreads) {
  EXPECT_NE(conv_engine_machine_key(3).find("3 threads"), std::string::npos);
  EXPECT_NE(conv_engine_machine_key(3), conv_engine_machine_key(4));
}

// Under auto a convolution records one choice per pass it runs, with the shape spelled out,
// and a second layer of the same convolution runs what the first recorded.
TEST(ConvEngineChoices, AutoRecordsEachPassOnce) {
  if (!conv_dnnl_available()) GTEST_SKIP() << "a build without oneDNN has nothing to choose";
  test::TempDir dir;
  const std::string path = dir.path() + "/choices.tsv";
  ScopedChoicesFile file(path);
  // A shape no other test uses, so that this process has not chosen for it yet.
  const std::string text =
      "name: \"conv\" type: \"Convolution\" convolution_param { num_output: 7 kernel_size: 3 pad: 1 stride: 2 "
      "weight_filler { type: \"gaussian\" std: 0.3 } }";
  for (int copy = 0; copy < 2; ++copy) {
    LayerParameter param;
    parse_text_proto(text, "test", &param);
    ConvolutionLayer layer(param);
    Blob x({3, 5, 13, 11}), y;
    test::fill_uniform(&x, 3);
    layer.setup({&x}, {&y});
    layer.forward({&x}, {&y});
    float* dy = y.mutable_cpu_diff();
    for (int i = 0; i < y.count(); ++i) dy[i] = 0.01f * static_cast<float>(i % 17) - 0.08f;
    layer.backward({&y}, {true}, {&x});
  }
  const std::string written = read_all(path);
  int lines = 0;
  for (char c : written) lines += c == '\n';
  EXPECT_EQ(lines, 3) << written;  // forward, backward weights, backward data: once each
  for (const char* pass : {"forward of ", "backward weights of ", "backward data of "}) {
    EXPECT_NE(written.find(std::string(pass) + "5 -> 7 channels, kernel 3x3, stride 2x2, pad 1x1, dilation 1x1, "
                                               "group 1, bias on 3 x 13 x 11"),
              std::string::npos)
        << pass << " in " << written;
  }
}

}  // namespace
}  // namespace hwgq
