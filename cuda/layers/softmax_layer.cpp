// Softmax on the GPU through cuDNN: the outer x classes x inner layout is an NCHW tensor
// (outer, classes, inner, 1) normalised across C, in cuDNN's max-subtracting mode, the
// same stabilisation the CPU code uses.
#include "hwgq/layers/softmax_layer.hpp"
#include "hwgq/util/cudnn.hpp"

namespace hwgq {

void SoftmaxLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  if (bottom[0]->count() == 0) return;
  cudnn::TensorDesc desc;
  desc.set(outer_, classes_, inner_, 1);
  const float one = 1.f, zero = 0.f;
  HWGQ_CUDNN_CHECK(cudnnSoftmaxForward(cudnn::handle(), CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one,
                                       desc, bottom[0]->gpu_data(), &zero, desc, top[0]->mutable_gpu_data()));
}

void SoftmaxLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                const BlobVec& bottom) {
  if (!propagate_down[0] || bottom[0]->count() == 0) return;
  cudnn::TensorDesc desc;
  desc.set(outer_, classes_, inner_, 1);
  const float one = 1.f, zero = 0.f;
  HWGQ_CUDNN_CHECK(cudnnSoftmaxBackward(cudnn::handle(), CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &one,
                                        desc, top[0]->gpu_data(), desc, top[0]->gpu_diff(), &zero, desc,
                                        bottom[0]->mutable_gpu_diff()));
}

}  // namespace hwgq
