#include "hwgq/layer_registry.hpp"

#include <algorithm>
#include <sstream>

namespace hwgq {

std::vector<std::string> known_layer_types() {
  std::vector<std::string> types;
  for (const auto& entry : layer_table()) types.push_back(entry.type);
  std::sort(types.begin(), types.end());
  return types;
}

std::unique_ptr<Layer> create_layer(const LayerParameter& param) {
  for (const auto& entry : layer_table()) {
    if (param.type() == entry.type) return entry.make(param);
  }
  std::ostringstream known;
  for (const auto& type : known_layer_types()) known << (known.tellp() ? ", " : "") << type;
  HWGQ_FAIL("layer \"" << param.name() << "\" has unknown type \"" << param.type() << "\"; known types: "
                       << known.str());
}

}  // namespace hwgq
