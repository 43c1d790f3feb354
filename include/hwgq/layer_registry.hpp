// Layer types by their prototxt type string. The table is written out explicitly in
// src/layer_table.cpp, so a statically linked hwgq knows every layer. Parts built apart
// from the library (the Python layer, which needs an interpreter) add their types at run
// time with register_layer_type, so the library itself never depends on them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hwgq/layer.hpp"

namespace hwgq {

using LayerFactory = std::function<std::unique_ptr<Layer>(const LayerParameter&)>;

struct LayerEntry {
  const char* type;
  LayerFactory make;
};

// Every layer type hwgq knows, in the order of src/layer_table.cpp.
const std::vector<LayerEntry>& layer_table();

// Adds a layer type beside the table (entry.type must outlive the program, e.g. a kType).
// Registering a type that is already known raises hwgq::Error; registering the same
// entry twice (same type and same factory target) is a no-op, so a part may register
// itself from more than one entry point.
void register_layer_type(const LayerEntry& entry);

// Creates the layer named by param.type(); an unknown type raises hwgq::Error listing the
// known ones.
std::unique_ptr<Layer> create_layer(const LayerParameter& param);

// The table's types and the registered ones, sorted.
std::vector<std::string> known_layer_types();

template <class L>
std::unique_ptr<Layer> make_layer(const LayerParameter& param) {
  return std::make_unique<L>(param);
}

// The table row of a layer class, keyed by its kType (see TypedLayer).
template <class L>
LayerEntry layer_entry() {
  return {L::kType, make_layer<L>};
}

}  // namespace hwgq
