// Picks, per layer, pass and input shape, which engine runs a CPU float convolution
// (hwgq/layers/conv_engine.hpp): the one HWGQ_CONV_ENGINE forces or, under auto, the faster
// of im2col and oneDNN as timed the first time any process on this machine met the pass
// and shape (conv_engine_choices.hpp keeps the answer), logged once.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <tuple>

#include "hwgq/layers/conv_engine.hpp"

namespace hwgq {

enum class ConvPass { Forward, BackwardData, BackwardWeights };

class ConvEngineSelector {
 public:
  // What a choice depends on besides the pass: batch, height and width of the bottom, and
  // the OpenMP thread count both engines run with.
  struct Shape {
    int num, height, width, threads;
    // Everything else the pass's cost depends on (channels, kernel, stride, padding,
    // dilation, groups, outputs, bias), the same for equal convolutions of any layer.
    std::string convolution;
  };

  // Runs the pass once on the chosen engine. `dnnl` may throw hwgq::Error when oneDNN
  // cannot run the shape: a forced dnnl passes that on, auto then keeps im2col. While
  // timing, each engine runs several times; `reset` (when given) runs before each of those
  // runs and must undo what a run accumulates, so the outputs end as after one run.
  void run(const std::string& layer, ConvPass pass, const Shape& shape, const std::function<void()>& im2col,
           const std::function<void()>& dnnl, const std::function<void()>& reset);

 private:
  ConvEngine choose(const std::string& layer, ConvPass pass, const Shape& shape, const std::function<void()>& im2col,
                    const std::function<void()>& dnnl, const std::function<void()>& reset);

  // The key of conv_engine_choices.hpp for this pass and shape on this machine.
  static std::string choice_key(ConvPass pass, const Shape& shape);

  std::map<std::tuple<int, int, int, int, ConvPass>, ConvEngine> chosen_;
};

}  // namespace hwgq
