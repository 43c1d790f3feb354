// The table of every layer type, keyed by the prototxt type string. Adding a layer means
// adding its header and one line here.
#include "hwgq/layer_registry.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/layers/inner_product_layer.hpp"
#include "hwgq/layers/pooling_layer.hpp"

namespace hwgq {

const std::vector<LayerEntry>& layer_table() {
  static const std::vector<LayerEntry> table = {
      {"Convolution", make_layer<ConvolutionLayer>},
      {"InnerProduct", make_layer<InnerProductLayer>},
      {"Pooling", make_layer<PoolingLayer>},
      {"BinaryConvolution", make_layer<BinaryConvolutionLayer>},
      {"BinaryInnerProduct", make_layer<BinaryInnerProductLayer>},
  };
  return table;
}

}  // namespace hwgq
