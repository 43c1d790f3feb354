// The GPU passes of ElementwiseLayer (include/hwgq/layers/elementwise_layer.hpp): one
// grid-stride kernel per direction, calling the layer's function per element. A layer's
// .cu includes this file and instantiates the two passes for its class.
#pragma once

#include "hwgq/layers/elementwise_layer.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace elementwise_kernels {

template <class Function>
__global__ void forward(int64_t n, Function f, const float* x, float* y) {
  HWGQ_KERNEL_LOOP(i, n) { y[i] = f.forward(x[i]); }
}

template <class Function>
__global__ void backward(int64_t n, Function f, const float* source, const float* dy, float* dx) {
  HWGQ_KERNEL_LOOP(i, n) { dx[i] = f.backward(source[i], dy[i]); }
}

}  // namespace elementwise_kernels

template <class Concrete>
void ElementwiseLayer<Concrete>::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = bottom[0]->count();
  if (n == 0) return;
  const auto f = static_cast<const Concrete&>(*this).function();
  elementwise_kernels::forward<<<cuda::blocks_for(n), cuda::kThreads>>>(n, f, bottom[0]->gpu_data(),
                                                                         top[0]->mutable_gpu_data());
  HWGQ_KERNEL_CHECK();
}

template <class Concrete>
void ElementwiseLayer<Concrete>::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                              const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  const int n = bottom[0]->count();
  if (n == 0) return;
  const auto f = static_cast<const Concrete&>(*this).function();
  const float* source = gradient_source(top, bottom)->gpu_data();
  elementwise_kernels::backward<<<cuda::blocks_for(n), cuda::kThreads>>>(n, f, source, top[0]->gpu_diff(),
                                                                          bottom[0]->mutable_gpu_diff());
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq

// In a layer's .cu: HWGQ_INSTANTIATE_ELEMENTWISE_GPU(ReLULayer);
#define HWGQ_INSTANTIATE_ELEMENTWISE_GPU(Concrete)                                               \
  template void ::hwgq::ElementwiseLayer<::hwgq::Concrete>::forward_gpu(const ::hwgq::BlobVec&,  \
                                                                          const ::hwgq::BlobVec&); \
  template void ::hwgq::ElementwiseLayer<::hwgq::Concrete>::backward_gpu(                        \
      const ::hwgq::BlobVec&, const std::vector<bool>&, const ::hwgq::BlobVec&)
