#include "hwgq/net.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "hwgq/layer_registry.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/util/io.hpp"

#ifdef HWGQ_WITH_CUDA
#include "hwgq/math/gpu_blas.hpp"
#endif

namespace hwgq {

bool state_meets_rule(const NetState& state, const NetStateRule& rule) {
  if (rule.has_phase() && rule.phase() != state.phase()) return false;
  if (rule.has_min_level() && state.level() < rule.min_level()) return false;
  if (rule.has_max_level() && state.level() > rule.max_level()) return false;
  const auto has_stage = [&state](const std::string& stage) {
    return std::find(state.stage().begin(), state.stage().end(), stage) != state.stage().end();
  };
  for (const auto& stage : rule.stage()) {
    if (!has_stage(stage)) return false;
  }
  for (const auto& stage : rule.not_stage()) {
    if (has_stage(stage)) return false;
  }
  return true;
}

NetParameter filter_net(const NetParameter& param, const NetState& state) {
  NetParameter filtered(param);
  filtered.clear_layer();
  for (const auto& layer : param.layer()) {
    HWGQ_REQUIRE(layer.include_size() == 0 || layer.exclude_size() == 0,
                 "layer \"" << layer.name() << "\" has both include and exclude rules; give one kind only");
    bool keep = layer.include_size() == 0;
    for (const auto& rule : layer.exclude()) {
      if (state_meets_rule(state, rule)) keep = false;
    }
    for (const auto& rule : layer.include()) {
      if (state_meets_rule(state, rule)) keep = true;
    }
    if (keep) *filtered.add_layer() = layer;
  }
  return filtered;
}

namespace {

std::string split_layer_name(const std::string& blob, const std::string& layer, int top) {
  return blob + "_" + layer + "_" + std::to_string(top) + "_split";
}

std::string split_top_name(const std::string& blob, const std::string& layer, int top, int index) {
  return split_layer_name(blob, layer, top) + "_" + std::to_string(index);
}

// Legacy `input:` fields become one Input layer at the front, the modern form.
NetParameter convert_legacy_inputs(const NetParameter& param) {
  if (param.input_size() == 0) return param;
  NetParameter converted(param);
  converted.clear_input();
  converted.clear_input_shape();
  converted.clear_input_dim();
  converted.clear_layer();
  LayerParameter* input = converted.add_layer();
  input->set_name("input");
  input->set_type("Input");
  const bool dims = param.input_dim_size() > 0;
  HWGQ_REQUIRE(dims ? param.input_dim_size() == 4 * param.input_size() : param.input_shape_size() == param.input_size(),
               "net \"" << param.name() << "\" declares " << param.input_size()
                        << " input(s) but not one shape each (input_shape, or 4 input_dim values per input)");
  for (int i = 0; i < param.input_size(); ++i) {
    input->add_top(param.input(i));
    BlobShape* shape = input->mutable_input_param()->add_shape();
    if (dims) {
      for (int d = 0; d < 4; ++d) shape->add_dim(param.input_dim(4 * i + d));
    } else {
      *shape = param.input_shape(i);
    }
  }
  for (const auto& layer : param.layer()) *converted.add_layer() = layer;
  return converted;
}

}  // namespace

NetParameter insert_splits(const NetParameter& param) {
  using Slot = std::pair<int, int>;  // (layer, top index)
  std::map<std::string, Slot> last_producer;
  std::map<Slot, int> consumers;
  std::map<Slot, Slot> source_of_bottom;  // (layer, bottom index) -> producing slot
  for (int i = 0; i < param.layer_size(); ++i) {
    const LayerParameter& layer = param.layer(i);
    for (int j = 0; j < layer.bottom_size(); ++j) {
      auto found = last_producer.find(layer.bottom(j));
      if (found == last_producer.end()) continue;  // reported when the net is built
      source_of_bottom[{i, j}] = found->second;
      ++consumers[found->second];
    }
    for (int j = 0; j < layer.top_size(); ++j) last_producer[layer.top(j)] = {i, j};
  }

  NetParameter result(param);
  result.clear_layer();
  std::map<Slot, int> next_split_index;
  for (int i = 0; i < param.layer_size(); ++i) {
    LayerParameter* layer = result.add_layer();
    *layer = param.layer(i);
    for (int j = 0; j < layer->bottom_size(); ++j) {
      auto source = source_of_bottom.find({i, j});
      if (source == source_of_bottom.end() || consumers[source->second] <= 1) continue;
      const LayerParameter& producer = param.layer(source->second.first);
      const int index = next_split_index[source->second]++;
      layer->set_bottom(j, split_top_name(layer->bottom(j), producer.name(), source->second.second, index));
    }
    for (int j = 0; j < param.layer(i).top_size(); ++j) {
      const int count = consumers.count({i, j}) ? consumers[{i, j}] : 0;
      if (count <= 1) continue;
      const std::string& blob = param.layer(i).top(j);
      LayerParameter* split = result.add_layer();
      split->set_name(split_layer_name(blob, param.layer(i).name(), j));
      split->set_type("Split");
      split->add_bottom(blob);
      for (int k = 0; k < count; ++k) split->add_top(split_top_name(blob, param.layer(i).name(), j, k));
    }
  }
  return result;
}

void set_batch_size(NetParameter* param, int batch) {
  HWGQ_REQUIRE(batch > 0, "batch size must be positive, got " << batch);
  for (int i = 0; i < param->input_shape_size(); ++i) {
    if (param->input_shape(i).dim_size() > 0) param->mutable_input_shape(i)->set_dim(0, batch);
  }
  for (int i = 0; i < param->input_dim_size(); i += 4) param->set_input_dim(i, batch);
  for (auto& layer : *param->mutable_layer()) {
    if (layer.has_input_param()) {
      for (auto& shape : *layer.mutable_input_param()->mutable_shape()) {
        if (shape.dim_size() > 0) shape.set_dim(0, batch);
      }
    }
    if (layer.has_data_param()) layer.mutable_data_param()->set_batch_size(batch);
    if (layer.has_image_data_param()) layer.mutable_image_data_param()->set_batch_size(batch);
    if (layer.has_idx_data_param()) layer.mutable_idx_data_param()->set_batch_size(batch);
  }
}

Net::Net(const NetParameter& param, Phase phase, const std::string& origin) : origin_(origin), phase_(phase) {
  init(param);
}

Net::Net(const std::string& prototxt_path, Phase phase) : origin_(prototxt_path), phase_(phase) {
  NetParameter param;
  read_text_proto(prototxt_path, &param);
  init(param);
}

void Net::init(const NetParameter& raw_param) {
  // An empty or comment-only prototxt parses as a valid, empty NetParameter.
  HWGQ_REQUIRE(raw_param.layer_size() > 0,
               (origin_.empty() ? std::string("the net") : origin_) << " defines no layers");
  name_ = raw_param.name();
  NetState state = raw_param.state();
  state.set_phase(phase_);
  NetParameter param;
  try {
    param = insert_splits(filter_net(convert_legacy_inputs(raw_param), state));
  } catch (const Error& error) {
    HWGQ_FAIL(origin_ << ": " << error.what());
  }

  std::map<std::string, int> available;  // blobs produced and not yet consumed
  for (const auto& layer_param : param.layer()) {
    try {
      append_layer(layer_param, &available);
    } catch (const Error& error) {
      HWGQ_FAIL(origin_ << ": " << error.what());
    }
  }

  force_backward_ = param.force_backward();
  definition_ = param;
  for (auto& layer : *definition_.mutable_layer()) layer.clear_blobs();
  base_layer_needs_backward_ = layer_needs_backward_;
  base_bottom_need_backward_ = bottom_need_backward_;
  forward_only_.assign(layers_.size(), false);
  compute_backward_needs();

  // Outputs in the order their blobs were created.
  std::vector<int> outputs;
  for (const auto& entry : available) outputs.push_back(entry.second);
  std::sort(outputs.begin(), outputs.end());
  for (int id : outputs) {
    output_blobs_.push_back(blobs_[id].get());
    output_blob_names_.push_back(blob_names_[id]);
    output_loss_weights_.push_back(blob_loss_weights_[id]);
  }
  LOG(INFO) << "Net \"" << name_ << "\" (" << (phase_ == TRAIN ? "TRAIN" : "TEST") << "): " << layers_.size()
            << " layers, " << learnable_params_.size() << " learnable parameter blobs";
}

void Net::compute_backward_needs() {
  layer_needs_backward_ = base_layer_needs_backward_;
  bottom_need_backward_ = base_bottom_need_backward_;
  // Which layers contribute to a loss, walking backwards from the losses; layers that do not
  // contribute skip backward entirely. A forward-only layer (marked by a graph pass) has no
  // backward, so nothing reaches a loss through it.
  std::set<std::string> blobs_under_loss;
  std::set<std::string> blobs_skip_backward;
  for (int i = static_cast<int>(layers_.size()) - 1; i >= 0; --i) {
    bool contributes = false;
    bool skip_propagate_down = true;
    for (size_t j = 0; j < top_ids_[i].size(); ++j) {
      const std::string& blob = blob_names_[top_ids_[i][j]];
      if (layers_[i]->loss(j) != 0.f || blobs_under_loss.count(blob)) contributes = true;
      if (!blobs_skip_backward.count(blob)) skip_propagate_down = false;
    }
    if (forward_only_[i]) {
      // Walking backwards past an in-place layer, its blob name stands for the value before
      // it, which a forward-only layer never passes a gradient to.
      contributes = false;
      for (int id : top_ids_[i]) blobs_under_loss.erase(blob_names_[id]);
    }
    if (layer_needs_backward_[i] && skip_propagate_down) {
      layer_needs_backward_[i] = false;
      std::fill(bottom_need_backward_[i].begin(), bottom_need_backward_[i].end(), false);
    }
    if (!contributes) layer_needs_backward_[i] = false;
    for (size_t j = 0; j < bottom_ids_[i].size(); ++j) {
      const std::string& blob = blob_names_[bottom_ids_[i][j]];
      if (contributes) {
        blobs_under_loss.insert(blob);
      } else {
        bottom_need_backward_[i][j] = false;
      }
      if (!bottom_need_backward_[i][j]) blobs_skip_backward.insert(blob);
    }
  }
  if (force_backward_) {
    for (size_t i = 0; i < layers_.size(); ++i) {
      layer_needs_backward_[i] = true;
      for (size_t j = 0; j < bottom_ids_[i].size(); ++j) {
        bottom_need_backward_[i][j] = bottom_need_backward_[i][j] || layers_[i]->allow_force_backward(j);
      }
      for (size_t p = 0; p < layers_[i]->blobs().size(); ++p) layers_[i]->set_param_propagate_down(p, true);
    }
  }
}

void Net::set_forward_only(int layer) {
  CHECK(layer >= 0 && layer < static_cast<int>(layers_.size())) << "layer index " << layer;
  HWGQ_REQUIRE(!force_backward_, "net \"" << name_ << "\" forces backward, so layer \"" << layer_names_[layer]
                                           << "\" cannot be made forward-only");
  forward_only_[layer] = true;
  compute_backward_needs();
}

void Net::append_layer(const LayerParameter& source_param, std::map<std::string, int>* available) {
  LayerParameter layer_param(source_param);
  layer_param.set_phase(phase_);
  const int layer_id = static_cast<int>(layers_.size());
  if (layer_param.name().empty()) layer_param.set_name(layer_param.type() + "_" + std::to_string(layer_id));
  HWGQ_REQUIRE(!layer_index_.count(layer_param.name()),
               "two layers are named \"" << layer_param.name() << "\"; layer names must be unique");
  layers_.push_back(create_layer(layer_param));
  Layer* layer = layers_.back().get();
  layer_names_.push_back(layer_param.name());
  layer_index_[layer_param.name()] = layer_id;

  bottoms_.emplace_back();
  bottom_ids_.emplace_back();
  bottom_need_backward_.emplace_back();
  bool need_backward = false;
  for (int j = 0; j < layer_param.bottom_size(); ++j) {
    const std::string& blob_name = layer_param.bottom(j);
    auto found = available->find(blob_name);
    if (found == available->end()) {
      HWGQ_REQUIRE(!blob_index_.count(blob_name),
                   "layer \"" << layer_param.name() << "\" (" << layer_param.type() << ") reads bottom blob \""
                              << blob_name << "\", which an earlier layer already consumed");
      HWGQ_FAIL("layer \"" << layer_param.name() << "\" (" << layer_param.type() << ") needs bottom blob \""
                           << blob_name << "\", which no earlier layer produces");
    }
    const int blob_id = found->second;
    available->erase(found);
    bottoms_[layer_id].push_back(blobs_[blob_id].get());
    bottom_ids_[layer_id].push_back(blob_id);
    bool propagate = blob_needs_backward_[blob_id];
    if (j < layer_param.propagate_down_size() && !layer_param.propagate_down(j)) propagate = false;
    bottom_need_backward_[layer_id].push_back(propagate);
    need_backward = need_backward || propagate;
  }

  tops_.emplace_back();
  top_ids_.emplace_back();
  for (int j = 0; j < layer_param.top_size(); ++j) {
    const std::string& blob_name = layer_param.top(j);
    int blob_id;
    if (j < layer_param.bottom_size() && blob_name == layer_param.bottom(j)) {
      HWGQ_REQUIRE(layer->allow_in_place(), "layer \"" << layer_param.name() << "\" (" << layer_param.type()
                                                       << ") cannot run in place (top \"" << blob_name
                                                       << "\" is also its bottom)");
      blob_id = bottom_ids_[layer_id][j];
    } else {
      HWGQ_REQUIRE(!blob_index_.count(blob_name), "layer \"" << layer_param.name() << "\" produces top blob \""
                                                             << blob_name << "\", which another layer already produces");
      blob_id = static_cast<int>(blobs_.size());
      blobs_.push_back(std::make_shared<Blob>());
      blob_names_.push_back(blob_name);
      blob_index_[blob_name] = blob_id;
      blob_needs_backward_.push_back(false);
      blob_loss_weights_.push_back(0.f);
    }
    tops_[layer_id].push_back(blobs_[blob_id].get());
    top_ids_[layer_id].push_back(blob_id);
    (*available)[blob_name] = blob_id;
  }

  layer->setup(bottoms_[layer_id], tops_[layer_id]);
  for (size_t j = 0; j < top_ids_[layer_id].size(); ++j) {
    blob_loss_weights_[top_ids_[layer_id][j]] = layer->loss(j);
  }
  if (layer_param.type() == "Input") {
    for (Blob* top : tops_[layer_id]) input_blobs_.push_back(top);
  }

  append_params(layer_id);
  for (size_t p = 0; p < layer->blobs().size(); ++p) {
    if (layer->param_propagate_down(p)) need_backward = true;
  }
  layer_needs_backward_.push_back(need_backward);
  if (need_backward) {
    for (int blob_id : top_ids_[layer_id]) blob_needs_backward_[blob_id] = true;
  }
}

void Net::append_params(int layer_id) {
  Layer* layer = layers_[layer_id].get();
  const LayerParameter& layer_param = layer->layer_param();
  const int num_params = static_cast<int>(layer->blobs().size());
  HWGQ_REQUIRE(layer_param.param_size() <= num_params,
               "layer \"" << layer_param.name() << "\" (" << layer_param.type() << ") has " << layer_param.param_size()
                          << " param specs but only " << num_params << " parameter blob(s)");
  for (int p = 0; p < num_params; ++p) {
    const ParamSpec spec = p < layer_param.param_size() ? layer_param.param(p) : ParamSpec();
    // A zero learning rate means the parameter needs no gradient at all.
    layer->set_param_propagate_down(p, layer->param_propagate_down(p) && spec.lr_mult() != 0.f);
    Blob* blob = layer->blobs()[p].get();
    const std::string& shared_name = spec.name();
    auto owner = shared_name.empty() ? shared_param_owner_.end() : shared_param_owner_.find(shared_name);
    if (owner == shared_param_owner_.end()) {
      if (!shared_name.empty()) shared_param_owner_[shared_name] = {layer_id, p};
      learnable_id_[{layer_id, p}] = static_cast<int>(learnable_params_.size());
      learnable_params_.push_back(blob);
      params_lr_.push_back(spec.lr_mult());
      params_weight_decay_.push_back(spec.decay_mult());
      learnable_param_names_.push_back(layer_param.name() + "/" + std::to_string(p));
      continue;
    }
    Blob* owner_blob = layers_[owner->second.first]->blobs()[owner->second.second].get();
    const std::string& owner_layer = layer_names_[owner->second.first];
    if (spec.share_mode() == ParamSpec::PERMISSIVE) {
      HWGQ_REQUIRE(owner_blob->count() == blob->count(),
                   "layer \"" << layer_param.name() << "\" shares parameter \"" << shared_name << "\" with layer \""
                              << owner_layer << "\" but their sizes differ: " << blob->shape_string() << " vs "
                              << owner_blob->shape_string());
    } else {
      HWGQ_REQUIRE(owner_blob->shape() == blob->shape(),
                   "layer \"" << layer_param.name() << "\" shares parameter \"" << shared_name << "\" with layer \""
                              << owner_layer << "\" but their shapes differ: " << blob->shape_string() << " vs "
                              << owner_blob->shape_string() << " (share_mode PERMISSIVE compares counts only)");
    }
    blob->share_data(*owner_blob);
    blob->share_diff(*owner_blob);
    learnable_id_[{layer_id, p}] = learnable_id_[owner->second];
  }
}

Blob* Net::blob_by_name(const std::string& name) const {
  auto found = blob_index_.find(name);
  if (found == blob_index_.end()) {
    std::ostringstream names;
    for (const auto& blob : blob_names_) names << (names.tellp() ? ", " : "") << blob;
    HWGQ_FAIL("net \"" << name_ << "\" has no blob \"" << name << "\"; blobs: " << names.str());
  }
  return blobs_[found->second].get();
}

Layer* Net::layer_by_name(const std::string& name) const {
  auto found = layer_index_.find(name);
  if (found == layer_index_.end()) {
    std::ostringstream names;
    for (const auto& layer : layer_names_) names << (names.tellp() ? ", " : "") << layer;
    HWGQ_FAIL("net \"" << name_ << "\" has no layer \"" << name << "\"; layers: " << names.str());
  }
  return layers_[found->second].get();
}

float Net::forward_from_to(int start, int end) {
  const int n = static_cast<int>(layers_.size());
  HWGQ_REQUIRE(0 <= start && start <= end && end <= n,
               "forward from layer " << start << " to " << end << " is not a range of the " << n << " layers");
  float loss = 0;
  for (int i = start; i < end; ++i) loss += layers_[i]->forward(bottoms_[i], tops_[i]);
  return loss;
}

float Net::forward() { return forward_from_to(0, static_cast<int>(layers_.size())); }

void Net::backward(const std::function<void(int layer)>& after_layer) {
  for (int i = static_cast<int>(layers_.size()) - 1; i >= 0; --i) {
    if (layer_needs_backward_[i]) layers_[i]->backward(tops_[i], bottom_need_backward_[i], bottoms_[i]);
    if (after_layer) after_layer(i);
  }
}

void Net::backward_from_to(int start, int end) {
  const int n = static_cast<int>(layers_.size());
  HWGQ_REQUIRE(0 <= end && end <= start && start < n,
               "backward from layer " << start << " down to " << end << " is not a range of the " << n << " layers");
  for (int i = start; i >= end; --i) {
    if (layer_needs_backward_[i]) layers_[i]->backward(tops_[i], bottom_need_backward_[i], bottoms_[i]);
  }
}

void Net::reshape() {
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i]->reshape(bottoms_[i], tops_[i]);
}

void Net::clear_param_diffs() {
  for (Blob* param : learnable_params_) param->set_diff(0.f);
}

void Net::update() {
#ifdef HWGQ_WITH_CUDA
  if (Context::get().mode() == Mode::GPU) {
    for (Blob* param : learnable_params_) gpu_axpy(param->count(), -1.f, param->gpu_diff(), param->mutable_gpu_data());
    return;
  }
#endif
  for (Blob* param : learnable_params_) axpy(param->count(), -1.f, param->cpu_diff(), param->mutable_cpu_data());
}

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace

void Net::copy_trained_layers_from(const NetParameter& param) {
  std::vector<std::string> loaded;
  std::set<std::string> seen;
  for (const auto& source : param.layer()) {
    auto found = layer_index_.find(source.name());
    if (found == layer_index_.end()) continue;
    Layer* target = layers_[found->second].get();
    if (source.blobs_size() == 0) continue;
    HWGQ_REQUIRE(source.blobs_size() == (int)target->blobs().size(),
                 "layer \"" << source.name() << "\": the weights hold " << source.blobs_size()
                            << " blob(s) but the net's layer has " << target->blobs().size());
    for (int b = 0; b < source.blobs_size(); ++b) {
      Blob* blob = target->blobs()[b].get();
      HWGQ_REQUIRE(blob->shape_equals(source.blobs(b)),
                   "layer \"" << source.name() << "\" blob " << b << ": the weights have shape "
                              << shape_string(proto_shape(source.blobs(b))) << " but the net expects "
                              << blob->shape_string());
      // Checked before any copy, so that a refused file leaves the net as it was.
      const BlobProto& stored = source.blobs(b);
      const bool finite = std::all_of(stored.data().begin(), stored.data().end(),
                                      [](float v) { return std::isfinite(v); }) &&
                          std::all_of(stored.double_data().begin(), stored.double_data().end(),
                                      [](double v) { return std::isfinite(v); });
      HWGQ_REQUIRE(finite, "layer \"" << source.name() << "\" blob " << b
                                      << ": the weights hold NaN or Inf (a diverged run?); refusing to load them");
    }
    for (int b = 0; b < source.blobs_size(); ++b) target->blobs()[b]->from_proto(source.blobs(b), false);
    if (seen.insert(source.name()).second) loaded.push_back(source.name());
  }
  std::vector<std::string> kept;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (!layers_[i]->blobs().empty() && !seen.count(layer_names_[i])) kept.push_back(layer_names_[i]);
  }
  // A file whose layer names match nothing would otherwise leave every weight at its
  // initial value without a word: fine-tuning from the wrong file must not pass silently.
  HWGQ_REQUIRE(!loaded.empty(), "no layer of the weights matches a layer with weights in the net "
                                    << (kept.empty() ? std::string("(the net has none)")
                                                     : "(the net's are: " + join(kept) + ")"));
  LOG(INFO) << "Loaded weights for " << loaded.size() << " layer(s): " << join(loaded);
  if (!kept.empty()) LOG(INFO) << "Kept initial values for " << kept.size() << " layer(s): " << join(kept);
}

void Net::copy_trained_layers_from(const std::string& weights_path) {
  NetParameter param;
  HWGQ_REQUIRE(file_exists(weights_path), "weights file " << weights_path << " does not exist");
  HWGQ_REQUIRE(!std::filesystem::is_directory(weights_path),
               "weights file " << weights_path << " is a folder, not a .caffemodel");
  HWGQ_REQUIRE(std::filesystem::file_size(weights_path) > 0, "weights file " << weights_path << " is empty");
  try {
    read_binary_proto(weights_path, &param);
  } catch (const Error& binary_error) {
    // A text NetParameter with blobs is accepted too.
    try {
      read_text_proto(weights_path, &param);
    } catch (const Error&) {
      throw binary_error;
    }
  }
  // Many files parse as some NetParameter (protobuf skips unknown fields): one with no
  // layers is not a weights file.
  HWGQ_REQUIRE(param.layer_size() > 0,
               weights_path << " holds no layers: it is not a .caffemodel (a NetParameter with weights)");
  LOG(INFO) << "Loading weights from " << weights_path;
  try {
    copy_trained_layers_from(param);
  } catch (const Error& error) {
    HWGQ_FAIL(weights_path << ": " << error.what());
  }
}

void Net::share_trained_layers_with(const Net& other) {
  for (size_t i = 0; i < other.layers_.size(); ++i) {
    auto found = layer_index_.find(other.layer_names_[i]);
    if (found == layer_index_.end()) continue;
    auto& source_blobs = other.layers_[i]->blobs();
    auto& target_blobs = layers_[found->second]->blobs();
    HWGQ_REQUIRE(source_blobs.size() == target_blobs.size(),
                 "layer \"" << other.layer_names_[i] << "\" has " << source_blobs.size() << " blobs in one net and "
                            << target_blobs.size() << " in the other");
    for (size_t b = 0; b < source_blobs.size(); ++b) {
      HWGQ_REQUIRE(source_blobs[b]->shape() == target_blobs[b]->shape(),
                   "layer \"" << other.layer_names_[i] << "\" blob " << b << " has shape "
                              << source_blobs[b]->shape_string() << " in one net and "
                              << target_blobs[b]->shape_string() << " in the other");
      target_blobs[b]->share_data(*source_blobs[b]);
    }
  }
}

void Net::to_proto(NetParameter* param, bool write_diff) const {
  param->Clear();
  param->set_name(name_);
  for (const auto& layer : layers_) {
    // Split layers are an artefact of building the net, not part of the model.
    if (std::string(layer->type()) == "Split") continue;
    layer->to_proto(param->add_layer(), write_diff);
  }
}

}  // namespace hwgq
