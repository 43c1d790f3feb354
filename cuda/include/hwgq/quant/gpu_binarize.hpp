// binarize_rows (hwgq/quant/binarize.hpp) on the GPU (cuda/quant/binarize.cu), all
// pointers device memory: one block per row reduces mean |w| (in double) and writes the row
// in the same pass over the weights. Part of the CUDA backend, like hwgq/util/cuda.hpp.
#pragma once

namespace hwgq {

void gpu_binarize_rows(const float* w, int rows, int cols, bool use_alpha, float* out, float* alphas);

}  // namespace hwgq
