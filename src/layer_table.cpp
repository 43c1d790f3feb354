// The table of every layer type, keyed by the prototxt type string. Adding a layer means
// adding its header and one line here.
#include "hwgq/layer_registry.hpp"

#include "hwgq/layers/idx_data_layer.hpp"

namespace hwgq {

const std::vector<LayerEntry>& layer_table() {
  static const std::vector<LayerEntry> table = {
      {"IdxData", make_layer<IdxDataLayer>},
  };
  return table;
}

}  // namespace hwgq
