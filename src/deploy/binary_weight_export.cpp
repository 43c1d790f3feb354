#include "hwgq/deploy/binary_weight_export.hpp"

#include <algorithm>
#include <cmath>

#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/math/random.hpp"

namespace hwgq {

namespace {

// The plain type a binary layer exports as, or "" for other layers.
std::string plain_type(const std::string& type) {
  if (type == "BinaryConvolution") return "Convolution";
  if (type == "BinaryInnerProduct") return "InnerProduct";
  return "";
}

void make_plain(LayerParameter* layer) {
  layer->set_type(plain_type(layer->type()));
  layer->clear_binary_convolution_param();
  layer->clear_binary_inner_product_param();
}

}  // namespace

BinarizedModel binarize_model(const NetParameter& model, Net& trained) {
  BinarizedModel result;
  result.net = model;
  for (auto& layer : *result.net.mutable_layer()) {
    if (!plain_type(layer.type()).empty()) make_plain(&layer);
  }
  trained.to_proto(&result.weights);
  for (auto& layer : *result.weights.mutable_layer()) {
    if (plain_type(layer.type()).empty()) continue;
    Layer* source = trained.layer_by_name(layer.name());
    const Blob* binary = nullptr;
    if (auto* conv = dynamic_cast<BinaryConvolutionLayer*>(source)) {
      binary = &conv->binarized_weights();
    } else if (auto* ip = dynamic_cast<BinaryInnerProductLayer*>(source)) {
      binary = &ip->binarized_weights();
    }
    HWGQ_REQUIRE(binary != nullptr, "layer \"" << layer.name() << "\" is not a binary layer");
    binary->to_proto(layer.mutable_blobs(0));
    make_plain(&layer);
    ++result.binarized_layers;
  }
  return result;
}

float max_output_difference(Net& a, Net& b, uint64_t seed) {
  HWGQ_REQUIRE(a.input_blobs().size() == b.input_blobs().size(), "the nets have different inputs");
  for (size_t i = 0; i < a.input_blobs().size(); ++i) {
    Blob* x = a.input_blobs()[i];
    Blob* y = b.input_blobs()[i];
    HWGQ_REQUIRE(x->shape() == y->shape(), "input " << i << " has shape " << x->shape_string() << " in one net and "
                                                     << y->shape_string() << " in the other");
    Context::get().set_random_seed(seed + i);
    rng_gaussian(x->count(), 0.f, 1.f, x->mutable_cpu_data());
    std::copy(x->cpu_data(), x->cpu_data() + x->count(), y->mutable_cpu_data());
  }
  a.forward();
  b.forward();
  float worst = 0.f;
  HWGQ_REQUIRE(a.output_blob_names() == b.output_blob_names(), "the nets have different outputs");
  for (size_t j = 0; j < a.output_blobs().size(); ++j) {
    const Blob* x = a.output_blobs()[j];
    const Blob* y = b.output_blobs()[j];
    HWGQ_REQUIRE(x->shape() == y->shape(), "output \"" << a.output_blob_names()[j] << "\" has shape "
                                                        << x->shape_string() << " in one net and " << y->shape_string()
                                                        << " in the other");
    for (int k = 0; k < x->count(); ++k) {
      const float difference = std::fabs(x->cpu_data()[k] - y->cpu_data()[k]);
      // std::max drops a NaN (every comparison with it is false), which would let NaN
      // outputs pass as identical: a NaN anywhere is the answer instead.
      if (std::isnan(difference)) return difference;
      worst = std::max(worst, difference);
    }
  }
  return worst;
}

}  // namespace hwgq
