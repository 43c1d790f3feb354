#include "gradient_checker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace hwgq::test {

namespace {

// The objective sum_t sum_i w_ti * top_ti after a fresh forward pass. The generator is
// reseeded first so that layers drawing random numbers (Dropout) see the same draws in
// every evaluation.
double objective(Layer& layer, const BlobVec& bottom, const BlobVec& top, const std::vector<std::vector<float>>& w,
                 uint64_t seed) {
  Context::get().set_random_seed(seed);
  layer.forward(bottom, top);
  double sum = 0;
  for (size_t t = 0; t < top.size(); ++t) {
    const float* data = top[t]->cpu_data();
    for (int i = 0; i < top[t]->count(); ++i) sum += double(w[t][i]) * data[i];
  }
  return sum;
}

}  // namespace

std::function<bool(float, float)> kinks_at(std::vector<float> points) {
  return [points](float lo, float hi) {
    for (float p : points) {
      if (lo <= p && p <= hi) return true;
    }
    return false;
  };
}

int check_gradients(Layer& layer, const BlobVec& bottom, const BlobVec& top, const GradientCheckOptions& options) {
  // Fixed random projection weights for the objective.
  std::mt19937 gen(static_cast<uint32_t>(options.seed));
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Context::get().set_random_seed(options.seed);
  layer.forward(bottom, top);
  std::vector<std::vector<float>> w(top.size());
  for (size_t t = 0; t < top.size(); ++t) {
    w[t].resize(top[t]->count());
    for (auto& v : w[t]) v = dist(gen);
  }

  // Inputs to check: bottoms, then parameters.
  std::vector<int> bottom_ids = options.bottoms;
  if (bottom_ids.empty()) {
    for (size_t b = 0; b < bottom.size(); ++b) {
      if (layer.allow_force_backward(static_cast<int>(b))) bottom_ids.push_back(static_cast<int>(b));
    }
  }
  std::vector<Blob*> inputs;
  std::vector<std::string> names;
  for (int b : bottom_ids) {
    inputs.push_back(bottom[b]);
    names.push_back("bottom " + std::to_string(b));
  }
  if (options.check_params) {
    for (size_t p = 0; p < layer.blobs().size(); ++p) {
      if (!layer.param_propagate_down(static_cast<int>(p))) continue;
      inputs.push_back(layer.blobs()[p].get());
      names.push_back("param " + std::to_string(p));
    }
  }

  // Analytic gradients: one backward pass with top.diff = w.
  Context::get().set_random_seed(options.seed);
  layer.forward(bottom, top);
  for (size_t t = 0; t < top.size(); ++t) std::copy(w[t].begin(), w[t].end(), top[t]->mutable_cpu_diff());
  for (Blob* input : inputs) input->set_diff(0.f);
  std::vector<bool> propagate(bottom.size(), false);
  for (int b : bottom_ids) propagate[b] = true;
  layer.backward(top, propagate, bottom);
  std::vector<std::vector<float>> analytic;
  for (Blob* input : inputs) analytic.emplace_back(input->cpu_diff(), input->cpu_diff() + input->count());

  int checked = 0;
  int failures = 0;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Blob* input = inputs[k];
    for (int i = 0; i < input->count(); ++i) {
      const float x = input->cpu_data()[i];
      if (options.crosses_kink && options.crosses_kink(x - options.step, x + options.step)) continue;
      input->mutable_cpu_data()[i] = x + options.step;
      const double plus = objective(layer, bottom, top, w, options.seed);
      input->mutable_cpu_data()[i] = x - options.step;
      const double minus = objective(layer, bottom, top, w, options.seed);
      input->mutable_cpu_data()[i] = x;
      const double numeric = (plus - minus) / (2.0 * options.step);
      const double a = analytic[k][i];
      const double scale = std::max({std::fabs(a), std::fabs(numeric), 1.0});
      ++checked;
      if (std::fabs(a - numeric) > options.tolerance * scale && failures < 10) {
        ++failures;
        ADD_FAILURE() << layer.type() << " " << names[k] << " element " << i << " (x = " << x
                      << "): analytic " << a << " vs numeric " << numeric;
      }
    }
  }
  return checked;
}

}  // namespace hwgq::test
