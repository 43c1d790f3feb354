// ElementwiseLayer declares its GPU passes in every build (its layout must not depend on
// whether CUDA is built in); their CUDA definitions are in cuda/layers/elementwise_layer.cuh.
// A build without CUDA gets these instead: the passes run the CPU code, as
// Layer::forward_gpu does for a layer without GPU code. They run only where Mode::GPU is set
// in such a build (the GPU tests' HWGQ_GPU_TESTS_ON_CPU dry run).
#ifndef HWGQ_WITH_CUDA

#include "hwgq/layers/relu_layer.hpp"
#include "hwgq/layers/sigmoid_layer.hpp"
#include "hwgq/layers/tanh_layer.hpp"

namespace hwgq {

template <class Concrete>
void ElementwiseLayer<Concrete>::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  Layer::forward_gpu(bottom, top);
}
template <class Concrete>
void ElementwiseLayer<Concrete>::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                              const BlobVec& bottom) {
  Layer::backward_gpu(top, propagate_down, bottom);
}
template class ElementwiseLayer<ReLULayer>;
template class ElementwiseLayer<SigmoidLayer>;
template class ElementwiseLayer<TanHLayer>;

}  // namespace hwgq

#endif  // HWGQ_WITH_CUDA
