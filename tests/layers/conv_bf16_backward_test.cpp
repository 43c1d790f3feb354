// bfloat16 backward passes of CPU convolutions (ConvolutionLayer::set_backward_precision,
// pass bf16_conv_backward, SolverParameter backward_precision, `hwgq train
// --backward_precision`): the gradients against a double-precision direct reference, the
// float path unchanged, and the fallback where the CPU lacks bfloat16.
//
// Tolerances. bfloat16 keeps 8 significant bits, so rounding to nearest even changes a value
// by at most u = 2^-8 of itself, and a product of two rounded values by at most
// 2u + u^2 < 2^-7 of the exact product. Every gradient element is a sum of such products
// (dx = sum w * dy, dw = sum x * dy) accumulated in float, so
//   |bf16 gradient - exact gradient| <= 2^-7 * S + float rounding,  S = sum |a| |b|,
// the same sum over the absolute values, computed alongside the reference. The float
// rounding of sums of up to a few thousand terms stays below 1e-4 * S (as in
// conv_engine_test.cpp). Against a reference whose inputs were rounded to bfloat16 first,
// only that float part remains: 1e-4 * S.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "conv_odd_shapes.hpp"
#include "hwgq/common.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/conv_engine.hpp"
#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

constexpr double kBf16ProductError = 1.0 / 128;  // 2u + u^2 < 2^-7, u = 2^-8
constexpr double kFloatSumError = 1e-4;

#define SKIP_WITHOUT_BF16()                                                           \
  do {                                                                                \
    std::string why;                                                                  \
    if (!conv_bf16_backward_available(&why)) GTEST_SKIP() << "no bfloat16: " << why; \
  } while (0)

// Round to nearest even to the 8 significant bits of bfloat16 (finite values).
float round_to_bf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  bits &= 0xffff0000u;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::vector<float> rounded(const std::vector<float>& values) {
  std::vector<float> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(), round_to_bf16);
  return out;
}

std::vector<float> absolute(const std::vector<float>& values) {
  std::vector<float> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(), [](float v) { return std::fabs(v); });
  return out;
}

struct Gradients {
  std::vector<double> dx, dw;
};

// The bottom and weight gradients of a convolution by their definition, in double:
// dx[n, c, ih, iw] += w[o, c', kh, kw] dy[n, o, oh, ow] and dw[o, c', kh, kw] += x[n, c, ih, iw]
// dy[n, o, oh, ow] over every output position whose window covers (ih, iw).
Gradients reference_backward(const Conv2dGeometry& g, int num, int num_output, int group, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& dy) {
  const int cg = g.channels / group, og = num_output / group;
  const int oh_n = g.out_height(), ow_n = g.out_width();
  Gradients r;
  r.dx.assign(static_cast<size_t>(num) * g.channels * g.height * g.width, 0.0);
  r.dw.assign(static_cast<size_t>(num_output) * cg * g.kernel_h * g.kernel_w, 0.0);
  for (int n = 0; n < num; ++n) {
    for (int o = 0; o < num_output; ++o) {
      const int first_channel = o / og * cg;
      for (int oh = 0; oh < oh_n; ++oh) {
        for (int ow = 0; ow < ow_n; ++ow) {
          const double d = dy[((static_cast<size_t>(n) * num_output + o) * oh_n + oh) * ow_n + ow];
          for (int ci = 0; ci < cg; ++ci) {
            const int c = first_channel + ci;
            for (int kh = 0; kh < g.kernel_h; ++kh) {
              const int ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
              if (ih < 0 || ih >= g.height) continue;
              for (int kw = 0; kw < g.kernel_w; ++kw) {
                const int iw = ow * g.stride_w - g.pad_w + kw * g.dilation_w;
                if (iw < 0 || iw >= g.width) continue;
                const size_t xi = ((static_cast<size_t>(n) * g.channels + c) * g.height + ih) * g.width + iw;
                const size_t wi = ((static_cast<size_t>(o) * cg + ci) * g.kernel_h + kh) * g.kernel_w + kw;
                r.dx[xi] += w[wi] * d;
                r.dw[wi] += x[xi] * d;
              }
            }
          }
        }
      }
    }
  }
  return r;
}

// What one backward pass of `layer` leaves, the weight diff starting from `start`.
struct BackwardRun {
  std::vector<float> x, w, dy;  // the inputs the backward passes read
  std::vector<float> dx, dw;
};

BackwardRun run_backward(ConvolutionLayer& layer, Blob& x, uint64_t seed, float start) {
  Blob y;
  layer.reshape({&x}, {&y});
  layer.forward({&x}, {&y});
  test::fill_uniform(&y, seed);
  std::copy(y.cpu_data(), y.cpu_data() + y.count(), y.mutable_cpu_diff());
  for (auto& b : layer.blobs()) b->set_diff(start);
  layer.backward({&y}, {true}, {&x});
  BackwardRun r;
  r.x.assign(x.cpu_data(), x.cpu_data() + x.count());
  r.dy.assign(y.cpu_diff(), y.cpu_diff() + y.count());
  r.dx.assign(x.cpu_diff(), x.cpu_diff() + x.count());
  const Blob& w = *layer.blobs()[0];
  r.w.assign(w.cpu_data(), w.cpu_data() + w.count());
  r.dw.assign(w.cpu_diff(), w.cpu_diff() + w.count());
  return r;
}

// The largest |got - want| / S over the elements, failing where it passes `bound`.
double check_within(const std::vector<float>& got, float start, const std::vector<double>& want,
                    const std::vector<double>& magnitude, double bound, const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  double worst = 0;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    const double error = std::fabs(static_cast<double>(got[i]) - start - want[i]);
    const double allowed = bound * magnitude[i] + 1e-6;
    EXPECT_LE(error, allowed) << what << " element " << i << ": " << got[i] - start << " vs " << want[i];
    if (magnitude[i] > 0) worst = std::max(worst, error / magnitude[i]);
  }
  return worst;
}

struct Worst {
  double rounded = 0, exact = 0;
};

// The bf16 gradients of a run against the reference on the rounded inputs (float error
// only) and on the exact inputs (bf16 error), with the weight diff accumulating onto
// `start`. `w` is what the backward passes use as weights.
void check_run(const ConvolutionLayer& layer, const BackwardRun& run, const std::vector<float>& w, float start,
               const std::string& what, Worst* worst) {
  const Conv2dGeometry& g = layer.geometry();
  const int num = static_cast<int>(run.x.size() / (static_cast<size_t>(g.channels) * g.height * g.width));
  const Gradients exact = reference_backward(g, num, layer.num_output(), layer.group(), run.x, w, run.dy);
  const Gradients on_rounded =
      reference_backward(g, num, layer.num_output(), layer.group(), rounded(run.x), rounded(w), rounded(run.dy));
  const Gradients magnitude =
      reference_backward(g, num, layer.num_output(), layer.group(), absolute(run.x), absolute(w), absolute(run.dy));
  worst->rounded = std::max({worst->rounded,
                             check_within(run.dx, 0.f, on_rounded.dx, magnitude.dx, kFloatSumError, what + " dx"),
                             check_within(run.dw, start, on_rounded.dw, magnitude.dw, kFloatSumError, what + " dw")});
  const double exact_dx =
      check_within(run.dx, 0.f, exact.dx, magnitude.dx, kBf16ProductError + kFloatSumError, what + " dx (exact)");
  const double exact_dw =
      check_within(run.dw, start, exact.dw, magnitude.dw, kBf16ProductError + kFloatSumError, what + " dw (exact)");
  // Were the inputs really rounded? A float backward stays within kFloatSumError of the
  // exact gradients (measured: under 1e-7 of S); random inputs rounded to 8 bits leave a
  // worst element above it (measured: 9.5e-4 of S on the widest sum here, 5e-3 overall).
  EXPECT_GT(std::max(exact_dx, exact_dw), kFloatSumError) << what << ": the backward passes did not use bfloat16";
  worst->exact = std::max({worst->exact, exact_dx, exact_dw});
}

TEST(ConvBf16Backward, MatchesTheReferenceOnOddShapes) {
  SKIP_WITHOUT_BF16();
  Worst worst;
  for (int num : {1, 3}) {
    for (const test::ConvShape& s : test::odd_conv_shapes()) {
      const std::string what = std::string(s.what) + " batch " + std::to_string(num);
      Blob x({num, s.channels, s.height, s.width}), y;
      test::fill_uniform(&x, 31 + num);
      ConvolutionLayer layer(test::conv_layer_param("Convolution", s.conv));
      layer.setup({&x}, {&y});
      layer.set_backward_precision(ConvBackwardPrecision::BFloat16);
      const BackwardRun run = run_backward(layer, x, 7 + num, 0.25f);
      check_run(layer, run, run.w, 0.25f, what, &worst);
    }
  }
  // The measured worst errors, relative to S (docs/user_guide.md quotes them).
  std::printf("worst |error| / S: %.3g against the rounded-input reference, %.3g against the exact one\n",
              worst.rounded, worst.exact);
}

// BinaryConvolution's backward passes use alpha * sign(W) (alpha_o = mean |W_o|) as weights.
TEST(ConvBf16Backward, BinaryConvolutionMatchesTheReference) {
  SKIP_WITHOUT_BF16();
  Worst worst;
  for (int num : {1, 3}) {
    Blob x({num, 6, 9, 7}), y;
    test::fill_uniform(&x, 41);
    BinaryConvolutionLayer layer(test::conv_layer_param("BinaryConvolution", "num_output: 12 kernel_size: 3 stride: 2 pad: 1 group: 2",
                                             "binary_convolution_param { use_alpha: true }"));
    layer.setup({&x}, {&y});
    layer.set_backward_precision(ConvBackwardPrecision::BFloat16);
    const BackwardRun run = run_backward(layer, x, 43, -0.5f);
    std::vector<float> binary(run.w.size());
    const size_t filter = binary.size() / layer.alphas().size();
    for (size_t i = 0; i < binary.size(); ++i) {
      binary[i] = layer.alphas()[i / filter] * (run.w[i] >= 0 ? 1.f : -1.f);
    }
    check_run(layer, run, binary, -0.5f, "BinaryConvolution batch " + std::to_string(num), &worst);
  }
}

// Where the CPU has AMX, oneDNN runs the passes on AMX tiles; capped at avx512_core_bf16
// it runs its AVX512_BF16 kernels, as on Cooper Lake or Zen 4. The two tests above, again
// in a child process with that cap.
TEST(ConvBf16Backward, MatchesTheReferenceWithoutAmx) {
  SKIP_WITHOUT_BF16();
  const auto result = test::run_shell(
      "ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16 ONEDNN_VERBOSE=1 /proc/" + std::to_string(getpid()) +
      "/exe --gtest_filter=ConvBf16Backward.MatchesTheReferenceOnOddShapes:"
      "ConvBf16Backward.BinaryConvolutionMatchesTheReference");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("[  PASSED  ] 2 tests"), std::string::npos) << result.output;
  // oneDNN's verbose lines name the implementations: bfloat16 kernels, none on AMX.
  EXPECT_NE(result.output.find("avx512_core_bf16"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("amx"), std::string::npos) << result.output;
}

// Bits of one run's gradients (and top, to show the forward unchanged).
std::vector<float> all_outputs(ConvolutionLayer& layer, Blob& x) {
  const BackwardRun run = run_backward(layer, x, 5, 0.125f);
  std::vector<float> out = run.dx;
  out.insert(out.end(), run.dw.begin(), run.dw.end());
  const Blob& b = *layer.blobs()[1];
  out.insert(out.end(), b.cpu_diff(), b.cpu_diff() + b.count());
  return out;
}

// Sets HWGQ_CONV_ENGINE for one scope and puts the previous value back.
class ScopedEngine {
 public:
  explicit ScopedEngine(const char* value) {
    if (const char* old = std::getenv("HWGQ_CONV_ENGINE")) old_ = old, had_ = true;
    setenv("HWGQ_CONV_ENGINE", value, 1);
  }
  ~ScopedEngine() {
    if (had_) {
      setenv("HWGQ_CONV_ENGINE", old_.c_str(), 1);
    } else {
      unsetenv("HWGQ_CONV_ENGINE");
    }
  }

 private:
  bool had_ = false;
  std::string old_;
};

// Float32 is the default, and a layer set back to it after bfloat16 passes computes the
// same bits as one that never left it, on either float engine.
TEST(ConvBf16Backward, Float32StaysBitIdentical) {
  for (const char* engine : {"im2col", "dnnl"}) {
    if (std::string(engine) == "dnnl" && !conv_dnnl_available()) continue;
    SCOPED_TRACE(engine);
    ScopedEngine scoped(engine);
    Blob x({3, 6, 9, 8}), y;
    test::fill_uniform(&x, 3);
    ConvolutionLayer layer(test::conv_layer_param("Convolution", "num_output: 9 kernel_size: 3 stride: 2 pad: 1 group: 3"));
    layer.setup({&x}, {&y});
    EXPECT_EQ(layer.backward_precision(), ConvBackwardPrecision::Float32);
    const std::vector<float> before = all_outputs(layer, x);
    layer.set_backward_precision(ConvBackwardPrecision::Float32);
    EXPECT_EQ(all_outputs(layer, x), before);
    std::string why;
    if (conv_bf16_backward_available(&why)) {
      layer.set_backward_precision(ConvBackwardPrecision::BFloat16);
      EXPECT_NE(all_outputs(layer, x), before) << "the bfloat16 passes gave the float bits";
      layer.set_backward_precision(ConvBackwardPrecision::Float32);
      EXPECT_EQ(all_outputs(layer, x), before);
    }
  }
}

TEST(ConvBf16Backward, UnavailableIsAClearError) {
  std::string why;
  if (conv_bf16_backward_available(&why)) GTEST_SKIP() << "this CPU has bfloat16 (the CLI test forces its absence)";
  Blob x({1, 2, 5, 5}), y;
  ConvolutionLayer layer(test::conv_layer_param("Convolution", "num_output: 2 kernel_size: 3"));
  layer.setup({&x}, {&y});
  try {
    layer.set_backward_precision(ConvBackwardPrecision::BFloat16);
    FAIL() << "bfloat16 accepted without bfloat16 support";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run its backward passes in bfloat16"), std::string::npos) << e.what();
  }
}

// The solver field: BF16 switches every convolution of the training net (BinaryConvolution
// included), never a test net's; the default leaves them float.
const char* const kNet = R"(
  layer { name: "input" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } shape { dim: 2 } } }
  layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "gaussian" std: 0.1 } } }
  layer { name: "conv2" type: "BinaryConvolution" bottom: "conv1" top: "conv2"
          convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "gaussian" std: 0.1 } } }
  layer { name: "ip" type: "InnerProduct" bottom: "conv2" top: "ip"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" })";

std::vector<ConvBackwardPrecision> precisions(const Net& net) {
  std::vector<ConvBackwardPrecision> out;
  for (const auto& layer : net.layers()) {
    if (const auto* conv = dynamic_cast<const ConvolutionLayer*>(layer.get())) out.push_back(conv->backward_precision());
  }
  return out;
}

TEST(ConvBf16Backward, SolverFieldSwitchesTheTrainingNet) {
  SolverParameter param = test::solver_from_text("base_lr: 0.01 lr_policy: \"fixed\" max_iter: 1 test_iter: 1");
  *param.mutable_net_param() = test::net_from_text(kNet);
  EXPECT_EQ(param.backward_precision(), SolverParameter::FLOAT32);
  const auto as_float = create_solver(param, "test");
  const std::vector<ConvBackwardPrecision> float32(2, ConvBackwardPrecision::Float32);
  EXPECT_EQ(precisions(as_float->net()), float32);

  param.set_backward_precision(SolverParameter::BF16);
  const auto as_bf16 = create_solver(param, "test");
  std::string why;
  const bool bf16 = conv_bf16_backward_available(&why);
  EXPECT_EQ(precisions(as_bf16->net()),
            std::vector<ConvBackwardPrecision>(2, bf16 ? ConvBackwardPrecision::BFloat16 : ConvBackwardPrecision::Float32));
  ASSERT_EQ(as_bf16->test_nets().size(), 1u);
  EXPECT_EQ(precisions(*as_bf16->test_nets()[0]), float32);
  // A training iteration runs either way.
  as_bf16->step(1);
}

TEST(ConvBf16Backward, SolverFieldParsing) {
  SolverParameter param;
  parse_text_proto("backward_precision: BF16", "test", &param);
  EXPECT_EQ(param.backward_precision(), SolverParameter::BF16);
  parse_text_proto("backward_precision: FLOAT32", "test", &param);
  EXPECT_EQ(param.backward_precision(), SolverParameter::FLOAT32);
  try {
    parse_text_proto("backward_precision: FP16", "solver.prototxt", &param);
    FAIL() << "an unknown precision was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("FP16"), std::string::npos) << e.what();
  }
}

// `hwgq train` with the flag, where bfloat16 runs, where ONEDNN_MAX_CPU_ISA takes it away
// (a warning, then float32: the weights come out bit for bit as with float32), and with a
// bad value.
class Bf16BackwardCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_text(dir_.file("net.prototxt"), kNet);
    test::write_text(dir_.file("solver.prototxt"),
                     "net: \"" + dir_.file("net.prototxt") +
                         "\" base_lr: 0.01 lr_policy: \"fixed\" momentum: 0.9 max_iter: 3 display: 1 random_seed: 5 "
                         "snapshot_after_train: true solver_mode: CPU snapshot_prefix: \"" +
                         dir_.file("run") + "\"");
  }
  // Trains with `environment` and `flags`; returns the output, the weights kept in `model`.
  std::string train(const std::string& environment, const std::string& flags, const std::string& model) {
    // im2col forced for the float passes: the comparison then does not depend on which
    // engine a timing picked.
    const auto result = test::run_shell(std::string("cd ") + HWGQ_SOURCE_DIR + " && env " + environment +
                                        " HWGQ_CONV_ENGINE=im2col " + HWGQ_BINARY_PATH + " train --threads=1 " + flags +
                                        " --solver=" + dir_.file("solver.prototxt"));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    std::rename(dir_.file("run_iter_3.caffemodel").c_str(), dir_.file(model).c_str());
    return result.output;
  }
  std::string bytes(const std::string& name) {
    std::ifstream in(dir_.file(name), std::ios::binary);
    EXPECT_TRUE(in) << name;
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
  }
  test::TempDir dir_;
};

TEST_F(Bf16BackwardCli, FlagRunsBf16) {
  SKIP_WITHOUT_BF16();
  const std::string out = train("", "--backward_precision=bf16", "bf16.caffemodel");
  EXPECT_NE(out.find("Convolution backward passes (CPU) asked for in bfloat16 (--backward_precision)"), std::string::npos) << out;
  EXPECT_NE(out.find("bfloat16 backward passes (oneDNN, float gradients) in 2 convolution layer(s)"), std::string::npos)
      << out;
  train("", "", "float.caffemodel");
  EXPECT_NE(bytes("bf16.caffemodel"), bytes("float.caffemodel"));
}

TEST_F(Bf16BackwardCli, WithoutBf16InstructionsWarnsAndStaysFloat) {
  if (!conv_dnnl_available()) GTEST_SKIP() << "built without oneDNN (the unit test above covers that fallback)";
  const std::string out = train("ONEDNN_MAX_CPU_ISA=AVX512_CORE", "--backward_precision=bf16", "capped.caffemodel");
  EXPECT_NE(out.find("bfloat16 convolution backward passes asked for, but oneDNN's CPU ISA here is below "
                     "avx512_core_bf16"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("they stay float32"), std::string::npos) << out;
  train("", "--backward_precision=float32", "float.caffemodel");
  EXPECT_EQ(bytes("capped.caffemodel"), bytes("float.caffemodel"));
}

TEST_F(Bf16BackwardCli, BadFlagIsAClearError) {
  const auto result = test::run_hwgq("train --backward_precision=fp16 --solver=" + dir_.file("solver.prototxt"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("--backward_precision must be float32 or bf16, got \"fp16\""), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace hwgq
