// The table of every layer type, keyed by the prototxt type string. Adding a layer means
// adding its header and one line here.
#include "hwgq/layer_registry.hpp"

namespace hwgq {

const std::vector<LayerEntry>& layer_table() {
  static const std::vector<LayerEntry> table = {
  };
  return table;
}

}  // namespace hwgq
