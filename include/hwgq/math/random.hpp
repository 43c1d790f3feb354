// Random numbers drawn from the Context generator, so one seed reproduces a run.
#pragma once

namespace hwgq {

void rng_uniform(int n, float low, float high, float* out);
void rng_gaussian(int n, float mean, float stddev, float* out);
// out[i] = 1 with probability p, else 0.
void rng_bernoulli(int n, float p, unsigned* out);

}  // namespace hwgq
