// Private to src/passes: the layer that reads the value a layer writes.
#pragma once

#include <algorithm>

#include "hwgq/net.hpp"

namespace hwgq::passes_detail {

// The first layer after `layer` that has its first top as a bottom, or -1 when none does
// (the value is an output of the net). Split layers give every value of a blob at most one
// reader, so this is its only reader: a later layer reading the same blob name reads a
// value an in-place layer in between wrote.
inline int next_reader(const Net& net, int layer) {
  const int blob = net.top_ids(layer)[0];
  const int n = static_cast<int>(net.layers().size());
  for (int j = layer + 1; j < n; ++j) {
    const auto& bottoms = net.bottom_ids(j);
    if (std::find(bottoms.begin(), bottoms.end(), blob) != bottoms.end()) return j;
  }
  return -1;
}

}  // namespace hwgq::passes_detail
