// SigmoidLayer's GPU passes: the elementwise kernels with its function.
#include "elementwise_layer.cuh"
#include "hwgq/layers/sigmoid_layer.hpp"

HWGQ_INSTANTIATE_ELEMENTWISE_GPU(SigmoidLayer);
