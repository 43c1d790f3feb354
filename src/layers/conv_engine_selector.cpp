#include "conv_engine_selector.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "hwgq/layers/conv_engine_choices.hpp"
#include "hwgq/common.hpp"

namespace hwgq {

namespace {

// Timed runs of each engine after one untimed warm-up (which makes oneDNN's primitives and
// touches every buffer); the fastest counts, the least disturbed by other work.
constexpr int kTimedRuns = 2;

const char* pass_name(ConvPass pass) {
  switch (pass) {
    case ConvPass::Forward:
      return "forward";
    case ConvPass::BackwardData:
      return "backward data";
    case ConvPass::BackwardWeights:
      return "backward weights";
  }
  return "?";
}

double milliseconds(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void ConvEngineSelector::run(const std::string& layer, ConvPass pass, const Shape& shape,
                             const std::function<void()>& im2col, const std::function<void()>& dnnl,
                             const std::function<void()>& reset) {
  const ConvEngineMode mode = conv_engine_mode();
  if (mode == ConvEngineMode::Im2col) return im2col();
  if (mode == ConvEngineMode::Dnnl) return dnnl();
  if (!conv_dnnl_available()) return im2col();
  const auto key = std::make_tuple(shape.num, shape.height, shape.width, shape.threads, pass);
  auto known = chosen_.find(key);
  if (known == chosen_.end()) {
    if (const std::optional<ConvEngine> recorded = recorded_conv_engine(choice_key(pass, shape))) {
      known = chosen_.emplace(key, *recorded).first;
    }
  }
  if (known != chosen_.end()) {
    if (known->second == ConvEngine::Dnnl) return dnnl();
    return im2col();
  }
  // choose() leaves the pass's outputs computed by the engine it returns.
  chosen_[key] = choose(layer, pass, shape, im2col, dnnl, reset);
}

std::string ConvEngineSelector::choice_key(ConvPass pass, const Shape& shape) {
  return conv_engine_machine_key(shape.threads) + '\t' + pass_name(pass) + " of " + shape.convolution + " on " +
         std::to_string(shape.num) + " x " + std::to_string(shape.height) + " x " + std::to_string(shape.width);
}

ConvEngine ConvEngineSelector::choose(const std::string& layer, ConvPass pass, const Shape& shape,
                                      const std::function<void()>& im2col, const std::function<void()>& dnnl,
                                      const std::function<void()>& reset) {
  const auto fresh = [&] {
    if (reset) reset();
  };
  try {
    fresh();
    dnnl();
  } catch (const Error& e) {
    LOG(INFO) << layer << ": " << pass_name(pass) << " on " << shape.num << " x " << shape.height << " x "
              << shape.width << " stays on im2col: " << e.what();
    fresh();
    im2col();
    return ConvEngine::Im2col;
  }
  fresh();
  im2col();
  double im2col_ms = std::numeric_limits<double>::infinity();
  double dnnl_ms = im2col_ms;
  // Alternated, so that a burst of load elsewhere slows both rather than one.
  for (int run = 0; run < kTimedRuns; ++run) {
    fresh();
    im2col_ms = std::min(im2col_ms, milliseconds(im2col));
    fresh();
    dnnl_ms = std::min(dnnl_ms, milliseconds(dnnl));
  }
  const ConvEngine measured = dnnl_ms < im2col_ms ? ConvEngine::Dnnl : ConvEngine::Im2col;
  const ConvEngine engine = record_conv_engine(choice_key(pass, shape), measured);
  LOG(INFO) << layer << ": " << pass_name(pass) << " on " << shape.num << " x " << shape.height << " x "
            << shape.width << " (" << shape.threads << " threads): im2col " << im2col_ms << " ms, oneDNN " << dnnl_ms
            << " ms -> " << conv_engine_name(engine)
            << (engine == measured ? "" : " (as another process recorded first)");
  // The outputs must be the chosen engine's, as they will be in every later run that reads
  // the recorded choice; the last timed run was oneDNN's.
  if (engine == ConvEngine::Im2col) {
    fresh();
    im2col();
  }
  return engine;
}

}  // namespace hwgq
