// Picks, per layer, pass and input shape, which engine runs a CPU float convolution
// (hwgq/layers/conv_engine.hpp): the one HWGQ_CONV_ENGINE forces or, under auto, the faster
// of im2col and oneDNN as timed the first time the pass meets the shape. The choice is
// remembered in memory and logged once.
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

  std::map<std::tuple<int, int, int, int, ConvPass>, ConvEngine> chosen_;
};

}  // namespace hwgq
