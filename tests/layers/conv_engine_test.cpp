// The two CPU convolution engines (im2col + GEMM and oneDNN) against each other, the
// HWGQ_CONV_ENGINE override, and the automatic per-shape choice.
#include "hwgq/layers/conv_engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "conv_odd_shapes.hpp"
#include "gradient_checker.hpp"
#include "hwgq/common.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

// Sets HWGQ_CONV_ENGINE for one scope and puts the previous value back.
class ScopedEngine {
 public:
  explicit ScopedEngine(const char* value) {
    const char* old = std::getenv(kVariable);
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv(kVariable, value, 1);
  }
  ~ScopedEngine() {
    if (had_) {
      setenv(kVariable, old_.c_str(), 1);
    } else {
      unsetenv(kVariable);
    }
  }

 private:
  static constexpr const char* kVariable = "HWGQ_CONV_ENGINE";
  bool had_ = false;
  std::string old_;
};

// Everything one forward + backward leaves behind.
struct Results {
  std::vector<float> top, bottom_diff, weight_diff, bias_diff;
};

// Runs forward and backward on `engine`, with the parameter diffs starting from `start`
// (they accumulate) and a fixed top gradient.
Results run_pass(ConvolutionLayer& layer, Blob& x, const char* engine, float start) {
  ScopedEngine scoped(engine);
  Blob y;
  layer.reshape({&x}, {&y});
  layer.forward({&x}, {&y});
  test::fill_uniform(&y, 5);
  std::copy(y.cpu_data(), y.cpu_data() + y.count(), y.mutable_cpu_diff());
  for (auto& b : layer.blobs()) b->set_diff(start);
  layer.forward({&x}, {&y});
  Results r;
  r.top.assign(y.cpu_data(), y.cpu_data() + y.count());
  layer.backward({&y}, {true}, {&x});
  r.bottom_diff.assign(x.cpu_diff(), x.cpu_diff() + x.count());
  r.weight_diff.assign(layer.blobs()[0]->cpu_diff(), layer.blobs()[0]->cpu_diff() + layer.blobs()[0]->count());
  if (layer.blobs().size() > 1) {
    r.bias_diff.assign(layer.blobs()[1]->cpu_diff(), layer.blobs()[1]->cpu_diff() + layer.blobs()[1]->count());
  }
  return r;
}

// The engines sum the same products in different orders: they agree to float rounding,
// here within 1e-4 of the largest magnitude in the result (sums of up to ~1000 products).
void expect_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  float scale = 1.f;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 1e-4f * scale) << what << " element " << i;
  }
}

void expect_same_results(const Results& got, const Results& want, const std::string& what) {
  expect_close(got.top, want.top, what + " top");
  expect_close(got.bottom_diff, want.bottom_diff, what + " bottom diff");
  expect_close(got.weight_diff, want.weight_diff, what + " weight diff");
  expect_close(got.bias_diff, want.bias_diff, what + " bias diff");
}

TEST(ConvEngine, ReadsTheOverride) {
  {
    ScopedEngine scoped("im2col");
    EXPECT_EQ(conv_engine_mode(), ConvEngineMode::Im2col);
  }
  {
    ScopedEngine scoped("auto");
    EXPECT_EQ(conv_engine_mode(), ConvEngineMode::Auto);
  }
  {
    ScopedEngine scoped("dnnl");
    if (conv_dnnl_available()) {
      EXPECT_EQ(conv_engine_mode(), ConvEngineMode::Dnnl);
    } else {
      EXPECT_THROW(conv_engine_mode(), Error);
    }
  }
}

TEST(ConvEngine, RejectsAnUnknownEngine) {
  Blob x({1, 2, 5, 5}), y;
  test::fill_uniform(&x, 3);
  ConvolutionLayer layer(test::conv_layer_param("Convolution", "num_output: 2 kernel_size: 3"));
  layer.setup({&x}, {&y});
  ScopedEngine scoped("mkl");
  try {
    layer.forward({&x}, {&y});
    FAIL() << "an unknown engine was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HWGQ_CONV_ENGINE must be im2col, dnnl or auto"), std::string::npos)
        << e.what();
  }
}

TEST(ConvEngine, DnnlMatchesIm2colOnOddShapes) {
  if (!conv_dnnl_available()) GTEST_SKIP() << "built without oneDNN";
  for (int num : {1, 3}) {
    for (const test::ConvShape& s : test::odd_conv_shapes()) {
      const std::string what = std::string(s.what) + " batch " + std::to_string(num);
      Blob x({num, s.channels, s.height, s.width}), y;
      test::fill_uniform(&x, 17 + num);
      ConvolutionLayer layer(test::conv_layer_param("Convolution", s.conv));
      layer.setup({&x}, {&y});
      const Results want = run_pass(layer, x, "im2col", 0.25f);
      const Results got = run_pass(layer, x, "dnnl", 0.25f);
      expect_same_results(got, want, what);
    }
  }
}

// Under auto each pass times both engines on first use, running them several times: the
// outputs must still be those of one run (the weight gradient accumulated once), then and
// on the following runs with the choice remembered.
TEST(ConvEngine, AutoChoiceGivesTheResultsOfOneRun) {
  for (const test::ConvShape& s : test::odd_conv_shapes()) {
    Blob x({2, s.channels, s.height, s.width}), y;
    test::fill_uniform(&x, 29);
    ConvolutionLayer layer(test::conv_layer_param("Convolution", s.conv));
    layer.setup({&x}, {&y});
    const Results want = run_pass(layer, x, "im2col", -0.5f);
    expect_same_results(run_pass(layer, x, "auto", -0.5f), want, std::string(s.what) + " choosing");
    expect_same_results(run_pass(layer, x, "auto", -0.5f), want, std::string(s.what) + " chosen");
  }
}

// A new batch size is a new shape: new primitives, and a new choice.
TEST(ConvEngine, DnnlFollowsReshapes) {
  if (!conv_dnnl_available()) GTEST_SKIP() << "built without oneDNN";
  Blob x({1, 4, 8, 8}), y;
  ConvolutionLayer layer(test::conv_layer_param("Convolution", "num_output: 6 kernel_size: 3 stride: 2"));
  layer.setup({&x}, {&y});
  for (const std::vector<int>& shape : {std::vector<int>{1, 4, 8, 8}, {3, 4, 11, 9}, {1, 4, 8, 8}}) {
    x.reshape(shape);
    test::fill_uniform(&x, shape[0] * 100 + shape[2]);
    const Results want = run_pass(layer, x, "im2col", 0.f);
    expect_same_results(run_pass(layer, x, "dnnl", 0.f), want, x.shape_string());
  }
}

TEST(ConvEngine, DnnlGradientsNumerically) {
  if (!conv_dnnl_available()) GTEST_SKIP() << "built without oneDNN";
  ScopedEngine scoped("dnnl");
  for (const char* conv : {"num_output: 3 kernel_size: 3 stride: 2 pad: 1", "num_output: 2 kernel_h: 2 kernel_w: 3 pad_h: 1 dilation: 2",
                           "num_output: 3 kernel_size: 3 pad: 1 group: 3", "num_output: 4 kernel_size: 1"}) {
    for (int num : {1, 2}) {
      SCOPED_TRACE(std::string(conv) + " batch " + std::to_string(num));
      Blob x({num, 3, 5, 6}), y;
      test::fill_uniform(&x, 11);
      ConvolutionLayer layer(test::conv_layer_param("Convolution", conv));
      layer.setup({&x}, {&y});
      EXPECT_GT(test::check_gradients(layer, {&x}, {&y}), 0);
    }
  }
}

// BinaryConvolution hands alpha * sign(W) to whichever engine runs.
TEST(ConvEngine, BinaryConvolutionDnnlMatchesIm2col) {
  if (!conv_dnnl_available()) GTEST_SKIP() << "built without oneDNN";
  for (int num : {1, 4}) {
    Blob x({num, 6, 9, 7}), y;
    test::fill_uniform(&x, 41);
    BinaryConvolutionLayer layer(test::conv_layer_param("BinaryConvolution", "num_output: 12 kernel_size: 3 stride: 2 pad: 1 group: 2",
                                             "binary_convolution_param { use_alpha: true }"));
    layer.setup({&x}, {&y});
    const Results want = run_pass(layer, x, "im2col", 0.f);
    expect_same_results(run_pass(layer, x, "dnnl", 0.f), want, "BinaryConvolution batch " + std::to_string(num));
  }
}

}  // namespace
}  // namespace hwgq
