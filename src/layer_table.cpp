// The table of every layer type, keyed by the prototxt type string (each class's kType).
// Adding a layer means adding its header and one line here.
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
      layer_entry<InputLayer>(),
      layer_entry<ReLULayer>(),
      layer_entry<BatchNormLayer>(),
      layer_entry<ScaleLayer>(),
      layer_entry<SoftmaxLayer>(),
      layer_entry<SoftmaxWithLossLayer>(),
      layer_entry<AccuracyLayer>(),
      layer_entry<DropoutLayer>(),
      layer_entry<FlattenLayer>(),
      layer_entry<SplitLayer>(),
      layer_entry<QuantLayer>(),
      layer_entry<ConvolutionLayer>(),
      layer_entry<InnerProductLayer>(),
      layer_entry<PoolingLayer>(),
      layer_entry<BinaryConvolutionLayer>(),
      layer_entry<BinaryInnerProductLayer>(),
      layer_entry<DataLayer>(),
      layer_entry<IdxDataLayer>(),
      layer_entry<ImageDataLayer>(),
      layer_entry<SigmoidLayer>(),
      layer_entry<TanHLayer>(),
      layer_entry<ConcatLayer>(),
      layer_entry<SliceLayer>(),
      layer_entry<EltwiseLayer>(),
      layer_entry<ReshapeLayer>(),
      layer_entry<LRNLayer>(),
      layer_entry<PackedBinaryConvolutionLayer>(),
      layer_entry<PackedBinaryInnerProductLayer>(),
  };
  return table;
}

}  // namespace hwgq
