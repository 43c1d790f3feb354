#include "hwgq/deploy/deploy_net.hpp"

#include <set>

#include "hwgq/net.hpp"

namespace hwgq {

namespace {

bool is_data_layer(const LayerParameter& layer) {
  return layer.type() == "Data" || layer.type() == "ImageData" || layer.type() == "IdxData";
}

NetParameter test_phase(const NetParameter& net) {
  NetState state = net.state();
  state.set_phase(TEST);
  return filter_net(net, state);
}

}  // namespace

bool has_test_data_layer(const NetParameter& net) {
  const NetParameter test = test_phase(net);
  for (const auto& layer : test.layer()) {
    if (is_data_layer(layer)) return true;
  }
  return false;
}

DeployNet deploy_from_train_val(const NetParameter& train_val, const std::string& origin) {
  const NetParameter test = test_phase(train_val);
  const LayerParameter* data = nullptr;
  for (const auto& layer : test.layer()) {
    if (!is_data_layer(layer)) continue;
    HWGQ_REQUIRE(!data, origin << ": more than one TEST-phase data layer (\"" << data->name() << "\", \""
                               << layer.name() << "\"); write a deploy prototxt with one Input instead");
    data = &layer;
  }
  HWGQ_REQUIRE(data, origin << " has no TEST-phase data layer (Data, ImageData or IdxData)");
  HWGQ_REQUIRE(data->top_size() >= 1, origin << ": data layer \"" << data->name() << "\" has no top");

  DeployNet deploy;
  deploy.data_blob = data->top(0);
  if (data->top_size() > 1) deploy.label_blob = data->top(1);
  if (data->type() == "IdxData") {
    deploy.transform.set_scale(data->idx_data_param().scale());
  } else {
    deploy.transform = data->transform_param();
  }
  {
    // The input shape is what the data layer produces.
    NetParameter probe;
    probe.set_name(train_val.name());
    *probe.add_layer() = *data;
    Net net(probe, TEST, origin);
    const Blob& top = *net.blob_by_name(deploy.data_blob);
    deploy.batch_size = top.shape(0);
    LayerParameter input;
    input.set_name(deploy.data_blob);
    input.set_type("Input");
    input.add_top(deploy.data_blob);
    BlobShape* shape = input.mutable_input_param()->add_shape();
    for (int d : top.shape()) shape->add_dim(d);
    deploy.net.set_name(train_val.name());
    *deploy.net.add_layer() = input;
  }
  // Every layer that reads the labels, or what they produce, goes.
  std::set<std::string> dropped_blobs;
  if (!deploy.label_blob.empty()) dropped_blobs.insert(deploy.label_blob);
  for (const auto& layer : test.layer()) {
    if (&layer == data) continue;
    bool reads_dropped = false;
    for (const auto& bottom : layer.bottom()) reads_dropped = reads_dropped || dropped_blobs.count(bottom);
    if (reads_dropped) {
      for (const auto& top : layer.top()) dropped_blobs.insert(top);
      continue;
    }
    LayerParameter kept = layer;
    kept.clear_include();
    kept.clear_exclude();
    *deploy.net.add_layer() = kept;
  }
  return deploy;
}

}  // namespace hwgq
