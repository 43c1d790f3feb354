#include "hwgq/layers/quant_layer.hpp"

#include <glog/logging.h>
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <random>

#include "gradient_checker.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

float up(float x) { return std::nextafter(x, kInf); }
float down(float x) { return std::nextafter(x, -kInf); }

LayerParameter quant_param(const std::string& quant_fields) {
  LayerParameter param;
  parse_text_proto("name: \"qt\" type: \"Quant\" quant_param { " + quant_fields + " }", "test", &param);
  return param;
}

// Runs one forward pass over `inputs` (a 1-d blob) and returns the outputs.
std::vector<float> forward(const std::string& fields, const std::vector<float>& inputs) {
  QuantLayer layer(quant_param(fields));
  Blob bottom({(int)inputs.size()});
  Blob top;
  std::copy(inputs.begin(), inputs.end(), bottom.mutable_cpu_data());
  layer.setup({&bottom}, {&top});
  layer.forward({&bottom}, {&top});
  return std::vector<float>(top.cpu_data(), top.cpu_data() + top.count());
}

// dL/dx for L = sum(top_diff * y), with a constant top diff.
std::vector<float> backward(const std::string& fields, const std::vector<float>& inputs, float top_diff = 2.f) {
  QuantLayer layer(quant_param(fields));
  Blob bottom({(int)inputs.size()});
  Blob top;
  std::copy(inputs.begin(), inputs.end(), bottom.mutable_cpu_data());
  layer.setup({&bottom}, {&top});
  layer.forward({&bottom}, {&top});
  top.set_diff(top_diff);
  layer.backward({&top}, {true}, {&bottom});
  return std::vector<float>(bottom.cpu_diff(), bottom.cpu_diff() + bottom.count());
}

void expect_exact(const std::vector<float>& got, const std::vector<float>& want, const std::vector<float>& inputs) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << "input " << i << " x = " << std::hexfloat << inputs[i] << std::defaultfloat
                               << " (" << inputs[i] << ")";
  }
}

const char* const k3ne = "centers: 0.538 centers: 1.076 centers: 1.614";

// The fork's definition of forward_func "hwgq", written the slow, obvious way.
float hwgq_reference(float x, const std::vector<float>& c, float negative_slope) {
  if (x <= 0.f) return -negative_slope;
  for (size_t j = 0; j + 1 < c.size(); ++j) {
    if (x <= 0.5f * (c[j] + c[j + 1])) return c[j];
  }
  return c.back();
}

TEST(QuantLayer, RegisteredAsQuant) {
  auto layer = create_layer(quant_param(k3ne));
  EXPECT_STREQ(layer->type(), "Quant");
}

TEST(QuantLayer, HwgqForwardAtZeroAndEveryThreshold) {
  const float q1 = 0.538f, q2 = 1.076f, q3 = 1.614f;
  const float t2 = 0.5f * (q1 + q2), t3 = 0.5f * (q2 + q3);
  const std::vector<float> x = {-kInf, -5.f,     down(0.f), -0.f,      0.f,      up(0.f),  0.3f,    down(t2),
                                t2,    up(t2),   q2,        down(t3),  t3,       up(t3),   q3,      100.f,
                                FLT_MAX, kInf};
  const std::vector<float> want = {0,  0,  0,  0,  0,  q1, q1, q1, q1, q2, q2, q2,
                                   q2, q3, q3, q3, q3, q3};
  expect_exact(forward(k3ne, x), want, x);
  QuantLayer layer(quant_param(k3ne));
  Blob b({1}), t;
  layer.setup({&b}, {&t});
  EXPECT_EQ(layer.thresholds(), (std::vector<float>{t2, t3}));
}

TEST(QuantLayer, HwgqNegativeSlopeIsAConstantBelowZero) {
  const std::vector<float> x = {-3.f, down(0.f), 0.f, up(0.f), 2.f};
  expect_exact(forward(std::string(k3ne) + " negative_slope: 0.25", x), {-0.25f, -0.25f, -0.25f, 0.538f, 1.614f}, x);
}

TEST(QuantLayer, HwgqSingleCenterTakesEveryPositiveInput) {
  const std::vector<float> x = {-1.f, 0.f, up(0.f), 0.5f, 1e30f};
  expect_exact(forward("centers: 0.7979", x), {0, 0, 0.7979f, 0.7979f, 0.7979f}, x);
}

TEST(QuantLayer, HwgqNanPassesThrough) {
  const std::vector<float> y = forward(k3ne, {std::nanf("")});
  EXPECT_TRUE(std::isnan(y[0]));
}

TEST(QuantLayer, HwgqMatchesReferenceForEveryCenterCount) {
  // 1-8 centers take the unrolled kernels, more take the binary search; 40013 inputs span
  // several blocks so the OpenMP path and an odd tail both run.
  std::mt19937 gen(7);
  std::normal_distribution<float> dist(0.f, 1.5f);
  std::vector<float> x(40013);
  for (auto& v : x) v = dist(gen);
  for (int n : {1, 2, 3, 4, 5, 7, 8, 9, 15, 40}) {
    std::vector<float> c;
    std::string fields = "negative_slope: 0.1";
    for (int j = 0; j < n; ++j) {
      c.push_back(0.3f + 3.f * j / n + 0.01f * j * j);
      fields += " centers: " + std::to_string(c.back());
    }
    // The text round trip may change the last bits; read the centers back from the layer.
    QuantLayer probe(quant_param(fields));
    Blob b({1}), t;
    probe.setup({&b}, {&t});
    c = probe.centers();
    // Put some inputs exactly on and next to each threshold.
    for (size_t j = 0; j < probe.thresholds().size() && 3 * j + 2 < x.size(); ++j) {
      x[3 * j] = probe.thresholds()[j];
      x[3 * j + 1] = up(probe.thresholds()[j]);
      x[3 * j + 2] = down(probe.thresholds()[j]);
    }
    const std::vector<float> y = forward(fields, x);
    int mismatches = 0;
    for (size_t i = 0; i < x.size() && mismatches < 5; ++i) {
      const float want = hwgq_reference(x[i], c, 0.1f);
      if (y[i] != want) {
        ++mismatches;
        ADD_FAILURE() << n << " centers: x = " << x[i] << " gave " << y[i] << ", want " << want;
      }
    }
  }
}

TEST(QuantLayer, SignForward) {
  const std::vector<float> x = {-kInf, -2.f, down(0.f), -0.f, 0.f, up(0.f), 3.f, kInf};
  expect_exact(forward("forward_func: \"sign\"", x), {-1, -1, -1, 1, 1, 1, 1, 1}, x);
}

TEST(QuantLayer, HardTanhForward) {
  const std::vector<float> x = {-kInf, down(-1.f), -1.f, up(-1.f), 0.f, 0.25f, down(1.f), 1.f, up(1.f), 7.f};
  expect_exact(forward("forward_func: \"hard_tanh\"", x),
               {-1, -1, -1, up(-1.f), 0, 0.25f, down(1.f), 1, 1, 1}, x);
}

TEST(QuantLayer, ReluForwardIsLeaky) {
  const std::vector<float> x = {-4.f, down(0.f), 0.f, up(0.f), 2.5f};
  expect_exact(forward("forward_func: \"relu\"", x), {0, 0, 0, up(0.f), 2.5f}, x);
  expect_exact(forward("forward_func: \"relu\" negative_slope: 0.5", x), {-2.f, 0.5f * down(0.f), 0, up(0.f), 2.5f},
               x);
}

TEST(QuantLayer, ReluBackwardUnclipped) {
  const std::vector<float> x = {-kInf, -3.f, 0.f, up(0.f), 1.f, 1e30f, FLT_MAX, kInf};
  // clip_thr <= 0 means FLT_MAX, as in the fork: every finite x > 0 passes, +inf does not.
  expect_exact(backward(k3ne, x), {0, 0, 0, 2, 2, 2, 2, 0}, x);
  expect_exact(backward(std::string(k3ne) + " clip_thr: -1", x), {0, 0, 0, 2, 2, 2, 2, 0}, x);
  expect_exact(backward(std::string(k3ne) + " negative_slope: 0.25", x), {0.5f, 0.5f, 0.5f, 2, 2, 2, 2, 0}, x);
}

TEST(QuantLayer, ReluBackwardClippedAtTheLargestCenter) {
  const float clip = 1.614f;
  const std::vector<float> x = {-1.f, 0.f, up(0.f), 1.f, down(clip), clip, up(clip), 5.f};
  const std::string fields = std::string(k3ne) + " clip_thr: 1.614";
  expect_exact(backward(fields, x), {0, 0, 2, 2, 2, 2, 0, 0}, x);
  expect_exact(backward(fields + " negative_slope: 0.1", x), {0.2f, 0.2f, 2, 2, 2, 2, 0, 0}, x);
}

TEST(QuantLayer, HardTanhBackward) {
  const std::vector<float> x = {-5.f, down(-1.f), -1.f, 0.f, 1.f, up(1.f), 5.f};
  expect_exact(backward("forward_func: \"sign\" backward_func: \"hard_tanh\" clip_thr: 1.0", x),
               {0, 0, 2, 2, 2, 0, 0}, x);
  // Without clip_thr the fork's FLT_MAX applies here too: a plain straight-through gradient
  // for every finite input.
  const std::vector<float> wide = {-kInf, -FLT_MAX, -100.f, 0.f, 100.f, FLT_MAX, kInf};
  expect_exact(backward("forward_func: \"sign\" backward_func: \"hard_tanh\"", wide), {0, 2, 2, 2, 2, 2, 0}, wide);
}

TEST(QuantLayer, LogTailedBackward) {
  const float qm = 1.614f;
  const float tau = qm - 1.f;
  const std::vector<float> x = {-2.f, 0.f, up(0.f), 1.f, qm, up(qm), 3.f, 100.f};
  const std::string fields = std::string(k3ne) + " backward_func: \"log_tailed\"";
  expect_exact(backward(fields, x),
               {0, 0, 2, 2, 2, 2.f * (1.f / (up(qm) - tau)), 2.f * (1.f / (3.f - tau)), 2.f * (1.f / (100.f - tau))},
               x);
  // clip_thr > 0 overrides q_m; negative_slope does not reach this surrogate.
  const std::vector<float> y = {-1.f, 0.5f, 1.f, 2.f, 4.f};
  expect_exact(backward(std::string(k3ne) + " backward_func: \"log_tailed\" clip_thr: 1.0 negative_slope: 0.3", y),
               {0, 2, 2, 2.f * (1.f / 2.f), 2.f * (1.f / 4.f)}, y);
  // Without centers, clip_thr alone gives q_m.
  expect_exact(backward("forward_func: \"relu\" backward_func: \"log_tailed\" clip_thr: 1.0", y),
               {0, 2, 2, 1, 0.5f}, y);
}

// Quant with its forward replaced by the surrogate its backward differentiates, so that
// the generic numeric checker compares backward against the surrogate's finite differences.
class SurrogateQuantLayer : public QuantLayer {
 public:
  using QuantLayer::QuantLayer;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override {
    const QuantParameter& p = layer_param().quant_param();
    const float slope = p.negative_slope();
    const float clip = p.clip_thr() > 0 ? p.clip_thr() : FLT_MAX;
    const float qm = p.clip_thr() > 0 ? p.clip_thr() : (centers().empty() ? 0.f : centers().back());
    const float* x = bottom[0]->cpu_data();
    float* y = top[0]->mutable_cpu_data();
    for (int i = 0; i < bottom[0]->count(); ++i) {
      const float v = x[i];
      switch (backward_func()) {
        case Backward::kRelu:  // (clipped) leaky ReLU
          y[i] = v > 0 ? std::min(v, clip) : slope * v;
          break;
        case Backward::kHardTanh:
          y[i] = std::min(std::max(v, -clip), clip);
          break;
        case Backward::kLogTailed:  // paper: q_m + log(x - tau) above q_m, tau = q_m - 1
          y[i] = v <= 0 ? 0.f : v <= qm ? v : qm + std::log(v - (qm - 1.f));
          break;
      }
    }
  }
};

void check_surrogate(const std::string& fields, std::vector<float> kinks) {
  SCOPED_TRACE(fields);
  SurrogateQuantLayer layer(quant_param(fields));
  Blob bottom({2, 3, 4, 5});
  Blob top;
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> dist(-3.f, 4.f);
  for (int i = 0; i < bottom.count(); ++i) bottom.mutable_cpu_data()[i] = dist(gen);
  layer.setup({&bottom}, {&top});
  test::GradientCheckOptions options;
  options.crosses_kink = test::kinks_at(kinks);
  const int checked = test::check_gradients(layer, {&bottom}, {&top}, options);
  EXPECT_GT(checked, bottom.count() / 2);
}

TEST(QuantLayer, BackwardIsTheGradientOfItsSurrogate) {
  check_surrogate(k3ne, {0.f});
  check_surrogate(std::string(k3ne) + " negative_slope: 0.2", {0.f});
  check_surrogate(std::string(k3ne) + " clip_thr: 1.614", {0.f, 1.614f});
  check_surrogate(std::string(k3ne) + " clip_thr: 1.614 negative_slope: 0.1", {0.f, 1.614f});
  check_surrogate("forward_func: \"sign\" backward_func: \"hard_tanh\" clip_thr: 1.0", {-1.f, 1.f});
  check_surrogate(std::string(k3ne) + " backward_func: \"log_tailed\"", {0.f, 1.614f});
  check_surrogate(std::string(k3ne) + " backward_func: \"log_tailed\" clip_thr: 0.8", {0.f, 0.8f});
}

TEST(QuantLayer, InPlaceMatchesOutOfPlace) {
  for (const std::string& fields : {std::string(k3ne) + " clip_thr: 1.614", std::string(k3ne) + " backward_func: \"log_tailed\"",
                                   std::string("forward_func: \"sign\" backward_func: \"hard_tanh\" clip_thr: 1.0")}) {
    SCOPED_TRACE(fields);
    std::mt19937 gen(11);
    std::normal_distribution<float> dist(0.f, 1.5f);
    Blob a({3, 7}), a_top, b({3, 7});
    for (int i = 0; i < a.count(); ++i) b.mutable_cpu_data()[i] = a.mutable_cpu_data()[i] = dist(gen);
    QuantLayer separate(quant_param(fields)), in_place(quant_param(fields));
    separate.setup({&a}, {&a_top});
    in_place.setup({&b}, {&b});
    separate.forward({&a}, {&a_top});
    in_place.forward({&b}, {&b});
    for (int i = 0; i < a.count(); ++i) {
      ASSERT_EQ(b.cpu_data()[i], a_top.cpu_data()[i]);
      a_top.mutable_cpu_diff()[i] = b.mutable_cpu_diff()[i] = 0.5f + i;
    }
    separate.backward({&a_top}, {true}, {&a});
    in_place.backward({&b}, {true}, {&b});
    for (int i = 0; i < a.count(); ++i) EXPECT_EQ(b.cpu_diff()[i], a.cpu_diff()[i]) << "element " << i;
  }
}

void expect_setup_error(const std::string& fields, const std::vector<std::string>& needles) {
  QuantLayer layer(quant_param(fields));
  Blob bottom({2}), top;
  try {
    layer.setup({&bottom}, {&top});
    ADD_FAILURE() << "expected an error for: " << fields;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"qt\""), std::string::npos) << what;
    for (const auto& needle : needles) EXPECT_NE(what.find(needle), std::string::npos) << needle << " in: " << what;
  }
}

TEST(QuantLayer, Errors) {
  expect_setup_error("forward_func: \"hwgq\"", {"at least one", "centers"});
  expect_setup_error("centers: 0.5 centers: 0.5", {"strictly ascending", "centers[1] = 0.5"});
  expect_setup_error("centers: 1.0 centers: 0.5", {"strictly ascending", "centers: 1, 0.5"});
  expect_setup_error("centers: -0.1 centers: 1", {"positive", "centers[0] = -0.1"});
  expect_setup_error("centers: 0 centers: 1", {"positive", "centers[0] = 0"});
  expect_setup_error("forward_func: \"sign\" centers: 2 centers: 1", {"strictly ascending"});
  expect_setup_error("forward_func: \"tanh\"", {"\"tanh\"", "hwgq, sign, hard_tanh, relu"});
  expect_setup_error(std::string(k3ne) + " backward_func: \"identity\"", {"\"identity\"", "relu, hard_tanh, log_tailed"});
  expect_setup_error("forward_func: \"sign\" backward_func: \"log_tailed\"", {"log_tailed", "clip_thr"});
}

class WarningCounter : public google::LogSink {
 public:
  void send(google::LogSeverity severity, const char*, const char*, int, const std::tm*, const char* message,
            size_t length) override {
    if (severity == google::GLOG_WARNING && std::string(message, length).find("thrs") != std::string::npos) ++count;
  }
  int count = 0;
};

int thrs_warnings(const std::string& fields) {
  WarningCounter counter;
  google::AddLogSink(&counter);
  {
    QuantLayer layer(quant_param(fields));
    Blob bottom({4}), top;
    layer.setup({&bottom}, {&top});
    layer.forward({&bottom}, {&top});
    layer.forward({&bottom}, {&top});
  }
  google::RemoveLogSink(&counter);
  return counter.count;
}

TEST(QuantLayer, ThrsFieldIsIgnoredAndWarnedAboutOnce) {
  EXPECT_EQ(thrs_warnings(k3ne), 0);
  EXPECT_EQ(thrs_warnings(std::string(k3ne) + " thrs: 0.807 thrs: 1.345"), 0);
  EXPECT_EQ(thrs_warnings(std::string(k3ne) + " thrs: 0 thrs: 0.807 thrs: 1.345"), 0);
  EXPECT_EQ(thrs_warnings(std::string(k3ne) + " thrs: 0.5 thrs: 1.0"), 1);
  EXPECT_EQ(thrs_warnings(std::string(k3ne) + " thrs: 0.807"), 1);
  const std::vector<float> x = {0.6f, 0.9f, 1.2f, 1.5f};
  EXPECT_EQ(forward(std::string(k3ne) + " thrs: 0.5 thrs: 1.0", x), forward(k3ne, x));
}

}  // namespace
}  // namespace hwgq
