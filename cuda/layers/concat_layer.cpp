// Concat on the GPU: each bottom is a block of rows within the top's rows, so one strided
// device-to-device copy per bottom (cudaMemcpy2D) does it; no kernels.
#include "hwgq/layers/concat_layer.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {
// rows runs of `run` floats, from src (stride src_stride) to dst (stride dst_stride).
void copy_rows_gpu(int rows, int run, const float* src, int src_stride, float* dst, int dst_stride) {
  if (rows <= 0 || run <= 0) return;
  HWGQ_CUDA_CHECK(cudaMemcpy2DAsync(dst, sizeof(float) * size_t(dst_stride), src, sizeof(float) * size_t(src_stride),
                                    sizeof(float) * size_t(run), rows, cudaMemcpyDeviceToDevice, 0));
}
}  // namespace

void ConcatLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  float* y = top[0]->mutable_gpu_data();
  const int top_row = top_axis_dim_ * inner_;
  int offset = 0;
  for (const Blob* b : bottom) {
    const int row = b->shape(axis_) * inner_;
    copy_rows_gpu(outer_, row, b->gpu_data(), row, y + offset, top_row);
    offset += row;
  }
}

void ConcatLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  const float* dy = top[0]->gpu_diff();
  const int top_row = top_axis_dim_ * inner_;
  int offset = 0;
  for (size_t i = 0; i < bottom.size(); ++i) {
    const int row = bottom[i]->shape(axis_) * inner_;
    if (propagate_down[i] && row > 0) copy_rows_gpu(outer_, row, dy + offset, top_row, bottom[i]->mutable_gpu_diff(), row);
    offset += row;
  }
}

}  // namespace hwgq
