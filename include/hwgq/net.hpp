// Net: a directed acyclic graph of layers built from a NetParameter for one phase.
//
// Building a net filters layers by phase/level/stage rules, converts legacy inputs to an
// Input layer, inserts Split layers where a blob feeds several layers, wires in-place
// layers, shares parameters by name, and works out which layers need a backward pass. Net
// knows no concrete layer type: rewrites such as folding BatchNorm into Quant for inference
// are graph passes (include/hwgq/passes/), applied by the caller after construction.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hwgq/blob.hpp"
#include "hwgq/layer.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

class Net {
 public:
  // `origin` names the prototxt in error messages. Stages and level come from
  // param.state(), overridden by phase.
  Net(const NetParameter& param, Phase phase, const std::string& origin = "net");
  // Reads a prototxt file.
  Net(const std::string& prototxt_path, Phase phase);
  // Layers hold raw pointers into the net's blobs: a copy would share them.
  Net(const Net&) = delete;
  Net& operator=(const Net&) = delete;

  // Runs every layer forward; returns the total weighted loss.
  float forward();
  // Layers [start, end); a range outside the net raises hwgq::Error.
  float forward_from_to(int start, int end);
  // Runs backward through every layer that needs it, from the last layer to the first.
  // after_layer(i), when given, is called for every layer i in that order once its
  // backward is done (or skipped, for a layer that needs none).
  void backward(const std::function<void(int layer)>& after_layer = nullptr);
  // Backward through layers start, start-1, ..., end (both included; start >= end).
  void backward_from_to(int start, int end);
  float forward_backward() {
    const float loss = forward();
    backward();
    return loss;
  }
  // Re-runs every layer's reshape (after an input blob changed shape).
  void reshape();

  const std::string& name() const { return name_; }
  Phase phase() const { return phase_; }
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  const std::vector<std::string>& layer_names() const { return layer_names_; }
  const std::vector<std::string>& blob_names() const { return blob_names_; }
  const std::vector<std::shared_ptr<Blob>>& blobs() const { return blobs_; }
  bool has_blob(const std::string& name) const { return blob_index_.count(name) > 0; }
  // Raises hwgq::Error listing the blob names when there is no such blob.
  Blob* blob_by_name(const std::string& name) const;
  bool has_layer(const std::string& name) const { return layer_index_.count(name) > 0; }
  Layer* layer_by_name(const std::string& name) const;
  const std::vector<Blob*>& bottom_vecs(int layer) const { return bottoms_[layer]; }
  // Blob indices (into blobs() / blob_names()) of a layer's bottoms and tops.
  const std::vector<int>& bottom_ids(int layer) const { return bottom_ids_[layer]; }
  const std::vector<int>& top_ids(int layer) const { return top_ids_[layer]; }
  const std::vector<Blob*>& top_vecs(int layer) const { return tops_[layer]; }
  bool layer_needs_backward(int layer) const { return layer_needs_backward_[layer]; }
  // The layers as built: phase rules applied, Split layers inserted, weights stripped.
  const NetParameter& definition() const { return definition_; }
  bool force_backward() const { return force_backward_; }
  // Marks a layer as having no backward (a graph pass fused it for inference) and works
  // out again which layers need backward. Refused when the net forces backward.
  void set_forward_only(int layer);
  bool forward_only(int layer) const { return forward_only_[layer]; }
  const std::vector<bool>& bottom_need_backward(int layer) const { return bottom_need_backward_[layer]; }

  // Blobs no later layer consumes: what `test` reports and the solver displays.
  const std::vector<Blob*>& output_blobs() const { return output_blobs_; }
  const std::vector<std::string>& output_blob_names() const { return output_blob_names_; }
  // Loss weight of each output blob (0 for non-loss outputs such as accuracy).
  const std::vector<float>& output_loss_weights() const { return output_loss_weights_; }
  // Inputs produced by Input layers.
  const std::vector<Blob*>& input_blobs() const { return input_blobs_; }

  // Learnable parameters: one entry per distinct parameter (shared ones once), with the
  // lr_mult and decay_mult of their owner's ParamSpec.
  const std::vector<Blob*>& learnable_params() const { return learnable_params_; }
  const std::vector<float>& params_lr() const { return params_lr_; }
  const std::vector<float>& params_weight_decay() const { return params_weight_decay_; }
  // "layer/index" for each learnable parameter, for messages.
  const std::vector<std::string>& learnable_param_names() const { return learnable_param_names_; }

  // Zeroes every learnable parameter's diff.
  void clear_param_diffs();
  // data -= diff for every owned parameter.
  void update();

  // Copies weights from layers of the same name; a layer whose stored blob count or shapes
  // differ raises hwgq::Error naming the layer and both shapes. Layers absent from `param`
  // keep their values.
  void copy_trained_layers_from(const NetParameter& param);
  // Reads a binary .caffemodel (or, failing that, a text NetParameter) and copies from it.
  void copy_trained_layers_from(const std::string& weights_path);
  // Makes this net's layers use another net's weight buffers, by layer name (test nets
  // share the train net's weights).
  void share_trained_layers_with(const Net& other);
  void to_proto(NetParameter* param, bool write_diff = false) const;

 private:
  void init(const NetParameter& param);
  // Which layers and bottoms need backward: from the per-layer needs found while building,
  // pruned to what reaches a loss, with forward-only layers cut.
  void compute_backward_needs();
  void append_layer(const LayerParameter& param, std::map<std::string, int>* available);
  void append_params(int layer_id);

  std::string name_;
  std::string origin_;
  Phase phase_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::string> layer_names_;
  std::map<std::string, int> layer_index_;
  std::vector<std::shared_ptr<Blob>> blobs_;
  std::vector<std::string> blob_names_;
  std::map<std::string, int> blob_index_;
  std::vector<std::vector<Blob*>> bottoms_;
  std::vector<std::vector<int>> bottom_ids_;
  std::vector<std::vector<bool>> bottom_need_backward_;
  std::vector<std::vector<Blob*>> tops_;
  std::vector<std::vector<int>> top_ids_;
  NetParameter definition_;
  bool force_backward_ = false;
  std::vector<bool> forward_only_;
  std::vector<bool> base_layer_needs_backward_;
  std::vector<std::vector<bool>> base_bottom_need_backward_;
  std::vector<bool> layer_needs_backward_;
  std::vector<bool> blob_needs_backward_;
  std::vector<float> blob_loss_weights_;

  std::vector<Blob*> output_blobs_;
  std::vector<std::string> output_blob_names_;
  std::vector<float> output_loss_weights_;
  std::vector<Blob*> input_blobs_;

  std::vector<Blob*> learnable_params_;
  std::vector<float> params_lr_;
  std::vector<float> params_weight_decay_;
  std::vector<std::string> learnable_param_names_;
  std::map<std::string, std::pair<int, int>> shared_param_owner_;  // name -> (layer, index)
  std::map<std::pair<int, int>, int> learnable_id_;                  // (layer, index) -> entry
};

// Whether a net state satisfies one include/exclude rule (phase, level range, stages).
bool state_meets_rule(const NetState& state, const NetStateRule& rule);
// The layers of `param` that run in `state` (include/exclude rules applied).
NetParameter filter_net(const NetParameter& param, const NetState& state);
// Inserts Split layers wherever one top feeds more than one bottom.
NetParameter insert_splits(const NetParameter& param);
// Sets the batch size of every input and data layer (hwgq time --batch).
void set_batch_size(NetParameter* param, int batch);

}  // namespace hwgq
