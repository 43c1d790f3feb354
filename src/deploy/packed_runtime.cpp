#include "hwgq/deploy/packed_runtime.hpp"

#include <glog/logging.h>

#include <map>

#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/layers/packed_binary_convolution_layer.hpp"
#include "hwgq/layers/packed_binary_inner_product_layer.hpp"
#include "hwgq/passes/lower_to_packed.hpp"
#include "hwgq/passes/net_pass.hpp"

namespace hwgq {

PackedRuntime::PackedRuntime(const std::string& path, int batch_size) {
  load(read_packed_model(path), batch_size, path);
}

PackedRuntime::PackedRuntime(const PackedModelProto& model, int batch_size, const std::string& origin) {
  load(model, batch_size, origin);
}

void PackedRuntime::load(const PackedModelProto& model, int batch_size, const std::string& origin) {
  HWGQ_REQUIRE(batch_size >= 0, "batch size must be positive, got " << batch_size);
  // The definition without weights (each layer would otherwise keep a copy of its blobs in
  // its parameters), then the float weights copied in by name.
  // Layers with a float input get their alpha * sign weights expanded from the bits.
  NetParameter weights = model.net();
  std::map<std::string, LayerParameter*> by_name;
  for (auto& layer : *weights.mutable_layer()) by_name[layer.name()] = &layer;
  for (const auto& packed : model.packed()) {
    if (!packed.float_input()) continue;
    HWGQ_REQUIRE(by_name.count(packed.layer()), origin << ": packed weights for \"" << packed.layer()
                                                       << "\", which is not a layer of the net");
    const kernels::PackedBinaryWeights bits = packed_weights_from_proto(packed, origin);
    LayerParameter* layer = by_name[packed.layer()];
    BlobProto expanded;
    const bool conv = layer->type() == "Convolution";
    HWGQ_REQUIRE(conv || layer->type() == "InnerProduct",
                 origin << ": layer \"" << packed.layer() << "\" (" << layer->type()
                        << ") cannot take expanded binary weights");
    expanded.mutable_shape()->add_dim(bits.out_channels);
    expanded.mutable_shape()->add_dim(bits.in_channels);
    if (conv) {
      expanded.mutable_shape()->add_dim(bits.kernel_h);
      expanded.mutable_shape()->add_dim(bits.kernel_w);
    }
    std::vector<float> values(size_t(bits.out_channels) * bits.in_channels * bits.kernel_h * bits.kernel_w);
    expand_binary_weights(bits, values.data());
    *expanded.mutable_data() = {values.begin(), values.end()};
    // Blob 0 first, then the bias the file stores.
    google::protobuf::RepeatedPtrField<BlobProto> blobs;
    *blobs.Add() = expanded;
    for (const auto& blob : layer->blobs()) *blobs.Add() = blob;
    layer->mutable_blobs()->Swap(&blobs);
  }
  NetParameter definition = model.net();
  for (auto& layer : *definition.mutable_layer()) layer.clear_blobs();
  if (batch_size > 0) set_batch_size(&definition, batch_size);
  net_ = std::make_unique<Net>(definition, TEST, origin);
  net_->copy_trained_layers_from(weights);
  HWGQ_REQUIRE(net_->input_blobs().size() == 1,
               origin << ": a packed model needs exactly one Input blob, this one has " << net_->input_blobs().size());

  std::map<std::string, bool> loaded;
  for (const auto& layer : net_->layers()) {
    const std::string type = layer->type();
    if (type == "PackedBinaryConvolution" || type == "PackedBinaryInnerProduct") loaded[layer->name()] = false;
  }
  for (const auto& packed : model.packed()) {
    if (packed.float_input()) continue;
    HWGQ_REQUIRE(loaded.count(packed.layer()), origin << ": packed weights for \"" << packed.layer()
                                                      << "\", which is not a packed layer of the net");
    HWGQ_REQUIRE(!loaded[packed.layer()], origin << ": two sets of packed weights for \"" << packed.layer() << "\"");
    kernels::PackedBinaryWeights weights = packed_weights_from_proto(packed, origin);
    weight_bytes_ += int64_t(weights.bits.size()) * 8 + int64_t(weights.alpha.size()) * 4;
    Layer* layer = net_->layer_by_name(packed.layer());
    if (auto* conv = dynamic_cast<PackedBinaryConvolutionLayer*>(layer)) {
      conv->set_packed_weights(std::move(weights));
    } else {
      dynamic_cast<PackedBinaryInnerProductLayer&>(*layer).set_packed_weights(std::move(weights));
    }
    loaded[packed.layer()] = true;
  }
  for (const auto& entry : loaded) {
    HWGQ_REQUIRE(entry.second, origin << ": packed layer \"" << entry.first << "\" has no packed weights in the file");
  }
  packed_layers_ = static_cast<int>(loaded.size());
  for (const auto& layer : net_->layers()) {
    for (const auto& blob : layer->blobs()) weight_bytes_ += int64_t(blob->count()) * 4;
  }
  for (const auto& pass : default_inference_passes()) apply_net_pass(*net_, pass);
  transform_ = model.transform();
  LOG(INFO) << origin << ": " << packed_layers_ << " packed layer(s), " << weight_bytes_ << " bytes of weights";
}

const Blob& PackedRuntime::forward() {
  net_->forward();
  return output();
}

}  // namespace hwgq
