// hwgq quantizer: the HWGQ levels and thresholds for x ~ N(0,1) (or for recorded
// activations, through run_quantizer_from_samples), their error against the ReLU, and a
// quant_param block to paste into a prototxt.
#include <glog/logging.h>

#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/common.hpp"
#include "hwgq/analysis/activation_recorder.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/quant/quantizer_design.hpp"
#include "hwgq/util/io.hpp"

DEFINE_int32(levels, 0, "quantizer: number of positive levels K (0 = from --bits)");
DEFINE_int32(bits, 0, "quantizer: bits per activation, K = 2^bits - 1 positive levels plus 0 (default 2)");
DEFINE_string(method, "uniform", "quantizer: uniform (q_j = j * step, best step) or lloyd (Lloyd-Max levels)");
DEFINE_bool(print_param, false, "quantizer: also print a quant_param { ... } block for a prototxt");

namespace hwgq::cli {

namespace {

struct QuantizerRequest {
  int levels;
  QuantizerMethod method;
};

QuantizerRequest parse_request() {
  HWGQ_REQUIRE(FLAGS_levels >= 0, "--levels must be positive, got " << FLAGS_levels);
  HWGQ_REQUIRE(FLAGS_bits >= 0 && FLAGS_bits <= 8, "--bits must be in [1, 8], got " << FLAGS_bits);
  // Two ways of saying the same thing: given together, one of them is likely a slip, even
  // when they agree.
  HWGQ_REQUIRE(FLAGS_levels == 0 || FLAGS_bits == 0,
               "--levels=" << FLAGS_levels << " conflicts with --bits=" << FLAGS_bits << "; give one of them");
  int levels = FLAGS_levels;
  if (FLAGS_bits > 0) levels = (1 << FLAGS_bits) - 1;
  if (levels == 0) levels = 3;  // 2 bits: the paper's main setting
  return {levels, parse_quantizer_method(FLAGS_method)};
}

std::string bits_note(int levels) {
  const int bits = static_cast<int>(std::round(std::log2(levels + 1.0)));
  if ((1 << bits) - 1 == levels) return " (" + std::to_string(bits) + " bit" + (bits > 1 ? "s" : "") + ")";
  return " (" + std::to_string(levels + 1) + " output values, not a whole number of bits)";
}

void print_design(const QuantizerDesign& d, const std::string& source) {
  std::cout << "HWGQ quantizer: " << quantizer_method_name(d.method) << ", " << d.levels.size()
            << (d.levels.size() == 1 ? " positive level" : " positive levels") << " plus 0" << bits_note(static_cast<int>(d.levels.size())) << ", for " << source
            << "\n"
            << "Q(x) = 0 for x <= 0, q_j for x in (t_j, t_{j+1}], t_1 = 0, t_{K+1} = +inf\n";
  std::cout << std::setprecision(6) << std::fixed;
  if (d.method == QuantizerMethod::kUniform) std::cout << "step       " << d.step << "\n";
  std::cout << "   j   level q_j   threshold t_j\n";
  for (size_t j = 0; j < d.levels.size(); ++j) {
    std::cout << std::setw(4) << j + 1 << std::setw(12) << d.levels[j] << std::setw(16) << d.thresholds[j] << "\n";
  }
  std::cout << std::defaultfloat << std::setprecision(6) << "MSE        " << d.mse
            << "   (E[(Q(x) - max(0, x))^2])\n";
  if (d.method == QuantizerMethod::kLloyd) std::cout << "Lloyd iterations " << d.iterations << "\n";
}

void print_param(const QuantizerDesign& d) {
  std::ostringstream out;
  out << std::setprecision(6);
  out << "quant_param {\n  forward_func: \"hwgq\"\n  backward_func: \"relu\"\n";
  for (double q : d.levels) out << "  centers: " << q << "\n";
  out << "  clip_thr: " << d.levels.back() << "\n}\n";
  std::cout << "\n" << out.str();
}

}  // namespace

int run_quantizer_from_samples(const std::vector<float>& samples, const std::string& source) {
  const QuantizerRequest request = parse_request();
  const QuantizerDesign fit = design_from_samples(samples, request.levels, request.method);
  size_t non_positive = 0;
  double sum = 0, sum_sq = 0;
  for (float s : samples) {
    non_positive += s <= 0.f;
    sum += s;
    sum_sq += double(s) * s;
  }
  const double n = static_cast<double>(samples.size());
  const double mean = sum / n;
  std::cout << source << ": " << samples.size() << " samples, mean " << mean << ", std "
            << std::sqrt(std::max(0.0, sum_sq / n - mean * mean)) << ", fraction <= 0 " << non_positive / n
            << " (N(0,1): mean 0, std 1, fraction 0.5)\n";
  print_design(fit, source);
  const QuantizerDesign ideal = design_half_gaussian(request.levels, request.method);
  std::cout << "the N(0,1) design on these samples: MSE " << sample_mse(samples, ideal.levels) << "\n";
  if (FLAGS_print_param) print_param(fit);
  return 0;
}

int quantizer(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(args.empty(), "quantizer takes only flags, got \"" << args.front() << "\"");
  if (!FLAGS_model.empty()) {
    // Design from the recorded inputs of one layer of a trained net (TEST phase, so
    // BatchNorm normalises with its stored statistics, as at deployment).
    HWGQ_REQUIRE(!FLAGS_layer.empty(), "quantizer --model needs --layer=NAME (the layer whose input to quantize)");
    HWGQ_REQUIRE(FLAGS_iterations > 0, "--iterations must be positive, got " << FLAGS_iterations);
    apply_device_flags();
    // No graph passes: the recorder reads each Quant layer's bottom, which must hold
    // BatchNorm's output rather than be folded away.
    NetBuildOptions options;
    options.phase = TEST;
    if (FLAGS_weights.empty()) {
      LOG(WARNING) << "no --weights given: recording the net's initial (random) weights";
    } else {
      options.weights = {FLAGS_weights};
    }
    const auto built = build_net(FLAGS_model, options);
    Net& net = *built;
    auto samples = record_layer_inputs(net, {FLAGS_layer}, FLAGS_iterations);
    return run_quantizer_from_samples(samples[FLAGS_layer],
                                      FLAGS_model + " layer \"" + FLAGS_layer + "\" input over " +
                                          std::to_string(FLAGS_iterations) + " batches");
  }
  const QuantizerRequest request = parse_request();
  const QuantizerDesign d = design_half_gaussian(request.levels, request.method);
  print_design(d, "x ~ N(0,1)");
  if (FLAGS_print_param) print_param(d);
  return 0;
}

}  // namespace hwgq::cli
