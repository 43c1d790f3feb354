#include "hwgq/layer_registry.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <sstream>

namespace hwgq {
namespace {

std::mutex& registered_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<LayerEntry>& registered_entries() {
  static std::vector<LayerEntry> entries;
  return entries;
}

// A copy, so that a registration on another thread cannot move it away under the caller.
std::optional<LayerEntry> find_entry(const std::string& type) {
  for (const auto& entry : layer_table()) {
    if (type == entry.type) return entry;
  }
  std::lock_guard<std::mutex> lock(registered_mutex());
  for (const auto& entry : registered_entries()) {
    if (type == entry.type) return entry;
  }
  return std::nullopt;
}

using FactoryFunction = std::unique_ptr<Layer> (*)(const LayerParameter&);

bool same_factory(const LayerFactory& a, const LayerFactory& b) {
  const FactoryFunction* fa = a.target<FactoryFunction>();
  const FactoryFunction* fb = b.target<FactoryFunction>();
  return fa && fb && *fa == *fb;
}

}  // namespace

void register_layer_type(const LayerEntry& entry) {
  HWGQ_REQUIRE(entry.type && *entry.type && entry.make, "register_layer_type needs a type name and a factory");
  const std::optional<LayerEntry> known = find_entry(entry.type);
  if (known) {
    HWGQ_REQUIRE(same_factory(known->make, entry.make),
                 "layer type \"" << entry.type << "\" is already registered");
    return;
  }
  std::lock_guard<std::mutex> lock(registered_mutex());
  registered_entries().push_back(entry);
}

std::vector<std::string> known_layer_types() {
  std::vector<std::string> types;
  for (const auto& entry : layer_table()) types.push_back(entry.type);
  {
    std::lock_guard<std::mutex> lock(registered_mutex());
    for (const auto& entry : registered_entries()) types.push_back(entry.type);
  }
  std::sort(types.begin(), types.end());
  return types;
}

std::unique_ptr<Layer> create_layer(const LayerParameter& param) {
  if (const std::optional<LayerEntry> entry = find_entry(param.type())) return entry->make(param);
  // Python layers live outside the library; say where they come from.
  HWGQ_REQUIRE(param.type() != "Python",
               "layer \"" << param.name() << "\" has type \"Python\", which needs the hwgq Python module (import "
                          << "hwgq) or a hwgq CLI built with -DHWGQ_PYTHON=ON");
  std::ostringstream known;
  for (const auto& type : known_layer_types()) known << (known.tellp() ? ", " : "") << type;
  HWGQ_FAIL("layer \"" << param.name() << "\" has unknown type \"" << param.type() << "\"; known types: "
                       << known.str());
}

}  // namespace hwgq
