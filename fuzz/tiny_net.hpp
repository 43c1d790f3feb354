// The small net the weight-loading fuzz targets load into, and from which make_corpus
// writes their seeds: one of each weighted layer kind hwgq's models use (a float
// convolution, BatchNorm + Scale, Quant feeding a binary convolution that `hwgq export`
// packs, a binary inner product on a float input) on an 8 x 8 gray input, so that a
// weights file can reach every layer's checks.
#pragma once

#include <string>

namespace hwgq::fuzz {

inline std::string tiny_net_layers() {
  return R"(
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
layer { name: "quant1" type: "Quant" bottom: "conv1" top: "conv1"
        quant_param { forward_func: "hwgq" backward_func: "relu" centers: 0.538 centers: 1.076 centers: 1.614 } }
layer { name: "conv2" type: "BinaryConvolution" bottom: "conv1" top: "conv2"
        convolution_param { num_output: 4 kernel_size: 3 bias_term: false weight_filler { type: "gaussian" std: 0.1 } }
        binary_convolution_param { use_alpha: true } }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "BinaryInnerProduct" bottom: "pool2" top: "ip1"
        inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } }
        binary_inner_product_param { use_alpha: true } }
)";
}

// With a label input and a loss: what the solver trains.
inline std::string tiny_train_net() {
  return R"(name: "tiny"
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 2 dim: 1 dim: 8 dim: 8 } shape { dim: 2 } } }
)" + tiny_net_layers() +
         R"(layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }
)";
}

// Image input only: what `hwgq export` packs.
inline std::string tiny_deploy_net() {
  return R"(name: "tiny"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 8 dim: 8 } } }
)" + tiny_net_layers();
}

}  // namespace hwgq::fuzz
