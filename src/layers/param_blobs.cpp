#include "hwgq/layers/param_blobs.hpp"

#include "hwgq/common.hpp"

namespace hwgq {

namespace {

std::vector<int> without_leading_ones(const std::vector<int>& shape) {
  size_t first = 0;
  while (first < shape.size() && shape[first] == 1) ++first;
  return std::vector<int>(shape.begin() + first, shape.end());
}

}  // namespace

void adopt_loaded_param(const std::string& where, const std::string& what, Blob* blob,
                        const std::vector<int>& expected) {
  HWGQ_REQUIRE(without_leading_ones(blob->shape()) == without_leading_ones(expected),
               where << "loaded " << what << " have shape " << blob->shape_string() << " but the layer's parameters need "
                     << shape_string(expected));
  // Same count, so the values stay where they are.
  blob->reshape(expected);
}

}  // namespace hwgq
