// ReLULayer's GPU passes: the elementwise kernels with its function.
#include "elementwise_layer.cuh"
#include "hwgq/layers/relu_layer.hpp"

HWGQ_INSTANTIATE_ELEMENTWISE_GPU(ReLULayer);
