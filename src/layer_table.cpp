// The table of every layer type, keyed by the prototxt type string. Adding a layer means
// adding its header and one line here.
#include "hwgq/layer_registry.hpp"

#include "hwgq/layers/data_layer.hpp"
#include "hwgq/layers/idx_data_layer.hpp"
#include "hwgq/layers/image_data_layer.hpp"

namespace hwgq {

const std::vector<LayerEntry>& layer_table() {
  static const std::vector<LayerEntry> table = {
      {"Data", make_layer<DataLayer>},
      {"IdxData", make_layer<IdxDataLayer>},
      {"ImageData", make_layer<ImageDataLayer>},
  };
  return table;
}

}  // namespace hwgq
