#include "hwgq/math/sgd_step.hpp"

#include <algorithm>

namespace hwgq {

void sgd_momentum_step(int64_t n, float rate, float momentum, float decay, float diff_scale, float* data, float* diff,
                       float* history) {
  // Blocks of a few pages: each thread streams whole blocks, and small parameters (biases,
  // BatchNorm scales) stay on the calling thread.
  constexpr int64_t kBlock = 16384;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t end = std::min(n, (b + 1) * kBlock);
    for (int64_t i = b * kBlock; i < end; ++i) {
      const float gradient = diff_scale * diff[i] + decay * data[i];
      const float step = momentum * history[i] + rate * gradient;
      history[i] = step;
      diff[i] = step;
      data[i] -= step;
    }
  }
}

}  // namespace hwgq
