#include "hwgq/layers/param_blobs.hpp"

#include "hwgq/common.hpp"
#include "hwgq/filler.hpp"

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

void setup_weight_and_bias(const std::string& where, std::vector<std::shared_ptr<Blob>>* blobs,
                           const std::vector<int>& weight_shape, const FillerParameter& weight_filler,
                           bool bias_term, int num_output, const FillerParameter& bias_filler) {
  const std::vector<int> bias_shape = {num_output};
  const int expected_blobs = bias_term ? 2 : 1;
  if (!blobs->empty()) {
    HWGQ_REQUIRE((int)blobs->size() == expected_blobs,
                 where << "loaded " << blobs->size() << " parameter blob(s), but bias_term "
                       << (bias_term ? "true" : "false") << " needs " << expected_blobs);
    adopt_loaded_param(where, "weights", (*blobs)[0].get(), weight_shape);
    if (bias_term) adopt_loaded_param(where, "bias", (*blobs)[1].get(), bias_shape);
    return;
  }
  blobs->push_back(std::make_shared<Blob>(weight_shape));
  fill_blob(weight_filler, (*blobs)[0].get());
  if (bias_term) {
    blobs->push_back(std::make_shared<Blob>(bias_shape));
    fill_blob(bias_filler, (*blobs)[1].get());
  }
}

}  // namespace hwgq
