// Slice on the GPU: the adjoint of Concat, one strided device-to-device copy per top.
#include "hwgq/layers/slice_layer.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {
void copy_rows_gpu(int rows, int run, const float* src, int src_stride, float* dst, int dst_stride) {
  if (rows <= 0 || run <= 0) return;
  HWGQ_CUDA_CHECK(cudaMemcpy2DAsync(dst, sizeof(float) * size_t(dst_stride), src, sizeof(float) * size_t(src_stride),
                                    sizeof(float) * size_t(run), rows, cudaMemcpyDeviceToDevice, 0));
}
}  // namespace

void SliceLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const float* x = bottom[0]->gpu_data();
  const int bottom_row = bottom[0]->shape(axis_) * inner_;
  int offset = 0;
  for (Blob* t : top) {
    const int row = t->shape(axis_) * inner_;
    if (row > 0) copy_rows_gpu(outer_, row, x + offset, bottom_row, t->mutable_gpu_data(), row);
    offset += row;
  }
}

void SliceLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  float* dx = bottom[0]->mutable_gpu_diff();
  const int bottom_row = bottom[0]->shape(axis_) * inner_;
  int offset = 0;
  for (const Blob* t : top) {
    const int row = t->shape(axis_) * inner_;
    if (row > 0) copy_rows_gpu(outer_, row, t->gpu_diff(), row, dx + offset, bottom_row);
    offset += row;
  }
}

}  // namespace hwgq
