// One numeric gradient checker for every layer test (central differences, relative
// tolerance, kinks skipped).
//
// The objective is a fixed random projection of the tops, L = sum_t sum_i w_ti * top_ti,
// so one backward pass with top.diff = w gives dL/dx for every input at once, and each
// input x_j is checked against (L(x_j + h) - L(x_j - h)) / 2h.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "hwgq/layer.hpp"

namespace hwgq::test {

struct GradientCheckOptions {
  float step = 1e-2f;
  // |analytic - numeric| must stay within tolerance * max(|analytic|, |numeric|, 1).
  float tolerance = 1e-2f;
  // Inputs where the layer's function is not differentiable (ReLU at 0, quantizer
  // thresholds): an input x with is_kink(x) true, or one whose +-step crosses a kink, is
  // skipped, since no finite difference is meaningful there.
  std::function<bool(float lo, float hi)> crosses_kink;
  // Bottom indices to check; empty means every bottom the layer allows gradients for.
  std::vector<int> bottoms;
  bool check_params = true;
  uint64_t seed = 1701;
};

// Runs setup must already have happened (layer.setup(bottom, top)). Reports mismatches
// through GoogleTest expectations and returns the number of inputs checked.
int check_gradients(Layer& layer, const BlobVec& bottom, const BlobVec& top,
                    const GradientCheckOptions& options = GradientCheckOptions());

// Kink predicate for a function with kinks at the given points.
std::function<bool(float, float)> kinks_at(std::vector<float> points);

}  // namespace hwgq::test
