#include "hwgq/math/random.hpp"

#include <random>

#include "hwgq/common.hpp"

namespace hwgq {

void rng_uniform(int n, float low, float high, float* out) {
  std::uniform_real_distribution<float> dist(low, high);
  auto& rng = Context::get().rng();
  for (int i = 0; i < n; ++i) out[i] = dist(rng);
}

void rng_gaussian(int n, float mean, float stddev, float* out) {
  std::normal_distribution<float> dist(mean, stddev);
  auto& rng = Context::get().rng();
  for (int i = 0; i < n; ++i) out[i] = dist(rng);
}

void rng_bernoulli(int n, float p, unsigned* out) {
  std::bernoulli_distribution dist(p);
  auto& rng = Context::get().rng();
  for (int i = 0; i < n; ++i) out[i] = dist(rng) ? 1u : 0u;
}

}  // namespace hwgq
