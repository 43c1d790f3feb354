// The layer contract: setup once (check parameters, make weights), reshape whenever the
// input shapes change, forward, backward. Blob counts are declared per layer and checked
// in one place (Layer::setup).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hwgq/blob.hpp"
#include "hwgq/common.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

using BlobVec = std::vector<Blob*>;

class Layer {
 public:
  explicit Layer(const LayerParameter& param);
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // Checks blob counts, runs layer_setup and reshape, and prepares loss weights.
  void setup(const BlobVec& bottom, const BlobVec& top);

  // Layer-specific one-time work: validate parameters, create and fill weight blobs. Weight
  // blobs already present (loaded from LayerParameter.blobs) must be checked, not refilled.
  virtual void layer_setup(const BlobVec& bottom, const BlobVec& top) {}
  // Shapes the tops (and internal buffers) from the bottoms.
  virtual void reshape(const BlobVec& bottom, const BlobVec& top) = 0;

  // Runs the forward pass on the current device and returns the weighted loss.
  float forward(const BlobVec& bottom, const BlobVec& top);
  // Computes bottom diffs where propagate_down[i] is set, and parameter diffs where
  // param_propagate_down(i) is set. Parameter diffs accumulate (iter_size > 1 relies on it).
  void backward(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom);

  virtual const char* type() const = 0;

  // Blob counts; -1 means "not constrained".
  virtual int exact_num_bottom_blobs() const { return -1; }
  virtual int min_bottom_blobs() const { return -1; }
  virtual int max_bottom_blobs() const { return -1; }
  virtual int exact_num_top_blobs() const { return -1; }
  virtual int min_top_blobs() const { return -1; }
  virtual int max_top_blobs() const { return -1; }
  // Whether top i may be the same blob as bottom i.
  virtual bool allow_in_place() const { return false; }
  // Whether force_backward may demand a gradient for this bottom (false for labels).
  virtual bool allow_force_backward(int bottom_index) const { return true; }
  // Extra tops that Net creates automatically (e.g. a loss layer's output).
  virtual bool auto_top_blobs() const { return false; }
  // Loss layers get loss_weight 1 on their first top when the prototxt gives none.
  virtual bool is_loss() const { return false; }

  const LayerParameter& layer_param() const { return param_; }
  const std::string& name() const { return param_.name(); }
  std::vector<std::shared_ptr<Blob>>& blobs() { return blobs_; }
  const std::vector<std::shared_ptr<Blob>>& blobs() const { return blobs_; }

  float loss(int top_index) const { return top_index < (int)loss_.size() ? loss_[top_index] : 0.f; }
  void set_loss(int top_index, float value);

  bool param_propagate_down(int index) const {
    return index < (int)param_propagate_down_.size() && param_propagate_down_[index];
  }
  void set_param_propagate_down(int index, bool value);

  // Phase this layer runs in (TRAIN or TEST); set by Net from its state.
  Phase phase() const { return param_.phase(); }

  // A data layer's read position (epoch, cursor, generator), saved in the .solverstate so
  // a resumed run reads the same batches as an uninterrupted one. Empty for other layers.
  virtual std::string save_state() const { return {}; }
  virtual void restore_state(const std::string& state) {}

  // Items in one pass over a data layer's source (records, list entries, samples), so
  // that `hwgq test --iterations=0` can cover a validation set exactly once; -1 for layers
  // without a source or whose source size is unknown.
  virtual int64_t source_size() const { return -1; }

  // Writes the layer (with its weights, and their gradients if asked) into a LayerParameter.
  void to_proto(LayerParameter* param, bool write_diff = false) const;

 protected:
  virtual void forward_cpu(const BlobVec& bottom, const BlobVec& top) = 0;
  virtual void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                            const BlobVec& bottom) = 0;
  // GPU code lives in cuda/layers/<name>.cu; a layer without it runs its CPU code, and the
  // first such call logs that it does. A layer with GPU code declares these overrides (and
  // any GPU-side members) in every build, so that its layout does not depend on the build;
  // src/layers/gpu_passes_without_cuda.cpp defines them where CUDA is not built in.
  virtual void forward_gpu(const BlobVec& bottom, const BlobVec& top);
  virtual void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom);

  // A message prefix naming this layer: `layer "conv1" (Convolution): `.
  std::string where() const;

  LayerParameter param_;
  std::vector<std::shared_ptr<Blob>> blobs_;
  std::vector<bool> param_propagate_down_;
  std::vector<float> loss_;

 private:
  void check_blob_counts(const BlobVec& bottom, const BlobVec& top) const;
  void set_loss_weights(const BlobVec& top);
  bool warned_cpu_fallback_ = false;
};

// The base of every concrete layer: `class ReLULayer : public TypedLayer<ReLULayer>` with
// `static constexpr const char* kType = "ReLU";` in ReLULayer. type() and the layer table
// (src/layer_table.cpp) both read kType, so the prototxt name is written once. Base is the
// class the layer extends (Layer, or e.g. ConvolutionLayer for BinaryConvolution).
template <class Concrete, class Base = Layer>
class TypedLayer : public Base {
 public:
  explicit TypedLayer(const LayerParameter& param) : Base(param) {}
  const char* type() const override { return Concrete::kType; }
};

}  // namespace hwgq
