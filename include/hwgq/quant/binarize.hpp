// Binary weights (docs/hwgq-paper.md 1.1; authors' BinaryConvolution / BinaryInnerProduct):
// each output filter i becomes alpha_i * sign(W[i,:]). Shared by the binary layers, the
// deploy exporter (`hwgq binarize`) and the GPU code, so all of them agree bit for bit.
#pragma once

namespace hwgq {

// sign with sign(0) = +1, as the authors' code does (weight >= 0 ? 1 : -1).
inline float binary_sign(float w) { return w >= 0.f ? 1.f : -1.f; }

// mean |row[j]| over cols weights, summed in double (1 for an empty row): the alpha of one
// filter.
float binary_alpha(const float* row, int cols);

// For each of the `rows` filters of `cols` weights (row-major w):
//   out[i,:] = alpha_i * sign(w[i,:]),  alpha_i = mean_j |w[i,j]|  (use_alpha), else 1.
// alphas may be null; otherwise it receives the rows alpha values. out may equal w.
void binarize_rows(const float* w, int rows, int cols, bool use_alpha, float* out, float* alphas);

}  // namespace hwgq
