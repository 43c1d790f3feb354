#include "hwgq/quant/binarize.hpp"

#include <cmath>

namespace hwgq {

float binary_alpha(const float* row, int cols) {
  if (cols <= 0) return 1.f;
  // Summed in double so that alpha does not depend on the filter size's rounding.
  double sum = 0;
  for (int j = 0; j < cols; ++j) sum += std::fabs(row[j]);
  return static_cast<float>(sum / cols);
}

void binarize_rows(const float* w, int rows, int cols, bool use_alpha, float* out, float* alphas) {
#pragma omp parallel for if (static_cast<long long>(rows) * cols > (1 << 16))
  for (int i = 0; i < rows; ++i) {
    const float* row = w + static_cast<long long>(i) * cols;
    float* dst = out + static_cast<long long>(i) * cols;
    const float alpha = use_alpha ? binary_alpha(row, cols) : 1.f;
    // Read before write so that out == w works.
    for (int j = 0; j < cols; ++j) dst[j] = alpha * binary_sign(row[j]);
    if (alphas) alphas[i] = alpha;
  }
}

}  // namespace hwgq
