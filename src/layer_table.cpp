// The table of every layer type, keyed by the prototxt type string. Adding a layer means
// adding its header and one line here.
#include "hwgq/layer_registry.hpp"
#include "hwgq/layers/accuracy_layer.hpp"
#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/concat_layer.hpp"
#include "hwgq/layers/dropout_layer.hpp"
#include "hwgq/layers/eltwise_layer.hpp"
#include "hwgq/layers/flatten_layer.hpp"
#include "hwgq/layers/input_layer.hpp"
#include "hwgq/layers/lrn_layer.hpp"
#include "hwgq/layers/relu_layer.hpp"
#include "hwgq/layers/reshape_layer.hpp"
#include "hwgq/layers/scale_layer.hpp"
#include "hwgq/layers/sigmoid_layer.hpp"
#include "hwgq/layers/slice_layer.hpp"
#include "hwgq/layers/softmax_layer.hpp"
#include "hwgq/layers/softmax_with_loss_layer.hpp"
#include "hwgq/layers/split_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/packed_binary_convolution_layer.hpp"
#include "hwgq/layers/packed_binary_inner_product_layer.hpp"
#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/layers/inner_product_layer.hpp"
#include "hwgq/layers/pooling_layer.hpp"
#include "hwgq/layers/data_layer.hpp"
#include "hwgq/layers/idx_data_layer.hpp"
#include "hwgq/layers/image_data_layer.hpp"
#include "hwgq/layers/tanh_layer.hpp"

namespace hwgq {

const std::vector<LayerEntry>& layer_table() {
  static const std::vector<LayerEntry> table = {
      {"Input", make_layer<InputLayer>},
      {"ReLU", make_layer<ReLULayer>},
      {"BatchNorm", make_layer<BatchNormLayer>},
      {"Scale", make_layer<ScaleLayer>},
      {"Softmax", make_layer<SoftmaxLayer>},
      {"SoftmaxWithLoss", make_layer<SoftmaxWithLossLayer>},
      {"Accuracy", make_layer<AccuracyLayer>},
      {"Dropout", make_layer<DropoutLayer>},
      {"Flatten", make_layer<FlattenLayer>},
      {"Split", make_layer<SplitLayer>},
      {"Quant", make_layer<QuantLayer>},
      {"Convolution", make_layer<ConvolutionLayer>},
      {"InnerProduct", make_layer<InnerProductLayer>},
      {"Pooling", make_layer<PoolingLayer>},
      {"BinaryConvolution", make_layer<BinaryConvolutionLayer>},
      {"BinaryInnerProduct", make_layer<BinaryInnerProductLayer>},
      {"PackedBinaryConvolution", make_layer<PackedBinaryConvolutionLayer>},
      {"PackedBinaryInnerProduct", make_layer<PackedBinaryInnerProductLayer>},
      {"Data", make_layer<DataLayer>},
      {"IdxData", make_layer<IdxDataLayer>},
      {"ImageData", make_layer<ImageDataLayer>},
      {"Sigmoid", make_layer<SigmoidLayer>},
      {"TanH", make_layer<TanHLayer>},
      {"Concat", make_layer<ConcatLayer>},
      {"Slice", make_layer<SliceLayer>},
      {"Eltwise", make_layer<EltwiseLayer>},
      {"Reshape", make_layer<ReshapeLayer>},
      {"LRN", make_layer<LRNLayer>},
  };
  return table;
}

}  // namespace hwgq
