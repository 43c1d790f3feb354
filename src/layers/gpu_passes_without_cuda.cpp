// A layer class declares its GPU passes in every build, so that its layout does not depend
// on whether CUDA is built in; their CUDA definitions live in cuda/layers. A build without
// CUDA gets these instead: the passes run the CPU code, as Layer::forward_gpu does for a
// layer without GPU code. They run only where Mode::GPU is set in such a build (the GPU
// tests' HWGQ_GPU_TESTS_ON_CPU dry run); --gpu itself is refused there. Device-pointer
// accessors have no CPU meaning and raise hwgq::Error.
#ifndef HWGQ_WITH_CUDA

#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/concat_layer.hpp"
#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/layers/decoding_data_layer.hpp"
#include "hwgq/layers/dropout_layer.hpp"
#include "hwgq/layers/eltwise_layer.hpp"
#include "hwgq/layers/idx_data_layer.hpp"
#include "hwgq/layers/inner_product_layer.hpp"
#include "hwgq/layers/lrn_layer.hpp"
#include "hwgq/layers/pooling_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/layers/relu_layer.hpp"
#include "hwgq/layers/scale_layer.hpp"
#include "hwgq/layers/sigmoid_layer.hpp"
#include "hwgq/layers/slice_layer.hpp"
#include "hwgq/layers/softmax_layer.hpp"
#include "hwgq/layers/softmax_with_loss_layer.hpp"
#include "hwgq/layers/split_layer.hpp"
#include "hwgq/layers/tanh_layer.hpp"

namespace hwgq {

#define HWGQ_FORWARD_GPU_RUNS_CPU(Class) \
  void Class::forward_gpu(const BlobVec& bottom, const BlobVec& top) { Layer::forward_gpu(bottom, top); }
#define HWGQ_BACKWARD_GPU_RUNS_CPU(Class)                                                                   \
  void Class::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) { \
    Layer::backward_gpu(top, propagate_down, bottom);                                                       \
  }
#define HWGQ_GPU_PASSES_RUN_CPU(Class) \
  HWGQ_FORWARD_GPU_RUNS_CPU(Class)     \
  HWGQ_BACKWARD_GPU_RUNS_CPU(Class)

HWGQ_GPU_PASSES_RUN_CPU(BatchNormLayer)
HWGQ_GPU_PASSES_RUN_CPU(ConcatLayer)
HWGQ_GPU_PASSES_RUN_CPU(ConvolutionLayer)
HWGQ_GPU_PASSES_RUN_CPU(DropoutLayer)
HWGQ_GPU_PASSES_RUN_CPU(EltwiseLayer)
HWGQ_GPU_PASSES_RUN_CPU(InnerProductLayer)
HWGQ_GPU_PASSES_RUN_CPU(LRNLayer)
HWGQ_GPU_PASSES_RUN_CPU(PoolingLayer)
HWGQ_GPU_PASSES_RUN_CPU(QuantLayer)
HWGQ_GPU_PASSES_RUN_CPU(ScaleLayer)
HWGQ_GPU_PASSES_RUN_CPU(SliceLayer)
HWGQ_GPU_PASSES_RUN_CPU(SoftmaxLayer)
HWGQ_GPU_PASSES_RUN_CPU(SoftmaxWithLossLayer)
HWGQ_FORWARD_GPU_RUNS_CPU(DecodingDataLayer)
HWGQ_FORWARD_GPU_RUNS_CPU(IdxDataLayer)
HWGQ_BACKWARD_GPU_RUNS_CPU(SplitLayer)

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

namespace {
[[noreturn]] void no_device_pointers(const std::string& where) {
  HWGQ_FAIL(where << "device memory was asked for, but this hwgq was built without CUDA");
}
}  // namespace

void BatchNormLayer::global_normalization_gpu(const float**, const float**) { no_device_pointers(where()); }
const float* BinaryConvolutionLayer::gpu_weights_for_forward() { no_device_pointers(where()); }
const float* BinaryConvolutionLayer::gpu_weights_for_backward() { no_device_pointers(where()); }
const float* BinaryInnerProductLayer::gpu_weights_for_forward() { no_device_pointers(where()); }
const float* BinaryInnerProductLayer::gpu_weights_for_backward() { no_device_pointers(where()); }

}  // namespace hwgq

#endif  // HWGQ_WITH_CUDA
