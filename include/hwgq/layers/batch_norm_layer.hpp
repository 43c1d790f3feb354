// BatchNorm: per-channel normalisation y = (x - mean) / sqrt(var + eps), without the
// affine part: a Scale layer adds it where wanted, while the HWGQ nets feed y straight into
// the Quant layer, whose fixed levels assume an ~N(0, 1) input
// (docs/hwgq-paper.md section 1.2).
//
// Statistics are those of the batch (training) or the stored running averages (testing,
// or use_global_stats). The three blobs follow Caffe's layout so .caffemodel files load:
// blobs[0] = running sum of means (C), blobs[1] = running sum of unbiased variances (C),
// blobs[2] = the running normaliser (1); the averages are blobs[0..1] / blobs[2].
// Axis 1 is the channel axis; every other axis is averaged over (2-d N x C and 4-d
// N x C x H x W bottoms alike).
//
// Synchronized (sync_across_replicas, or `hwgq train --sync_batch_norm`): in a data-parallel
// run the training statistics are those of all ranks' batches together, through the
// thread's cross_replica_sum (cross_replica_sum.hpp): forward sums the per-channel sums and
// counts, then the squared deviations from the global mean; backward sums the per-channel
// sums of dy and dy * y. Without an installed sum (one process) nothing changes.
#pragma once

#include <vector>

#include "hwgq/cross_replica_sum.hpp"
#include "hwgq/layer.hpp"

namespace hwgq {

class BatchNormLayer : public TypedLayer<BatchNormLayer> {
 public:
  static constexpr const char* kType = "BatchNorm";

  explicit BatchNormLayer(const LayerParameter& param) : TypedLayer(param) {}

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;

  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_in_place() const override { return true; }

  bool use_global_stats() const { return use_global_stats_; }
  int channels() const { return channels_; }

  // Whether training-mode statistics are taken over all replicas (see above). Set from
  // sync_across_replicas at setup; the CLI's --sync_batch_norm sets it afterwards.
  bool sync_across_replicas() const { return sync_across_replicas_; }
  void set_sync_across_replicas(bool sync) { sync_across_replicas_ = sync; }

  // Inference fusion (set by Net in the TEST phase, docs/layers/quant.md): the Quant layer
  // reading this layer's output normalises by itself, so forward leaves the top alone and
  // there is no backward.
  void set_folded_into_next(bool folded) { folded_ = folded; }
  bool folded_into_next() const { return folded_; }
  // The global statistics as forward uses them, read from the blobs at this call (a test
  // net shares the training net's blobs, which change every iteration): per channel the
  // mean and 1 / sqrt(variance + eps), channels() values each, valid until the next call.
  void global_normalization_cpu(const float** mean, const float** inv_std);
  // The same on the device, computed by the kernel forward_gpu uses (so a fused GPU
  // forward normalises with exactly the unfused GPU forward's values).
  void global_normalization_gpu(const float** mean, const float** inv_std);

  // Training fusion (graph pass fuse_batch_norm_quant_training, docs/layers/quant.md "Fused
  // with BatchNorm"): the one layer reading this layer's output (a Quant) normalises x
  // itself with the batch statistics of this layer's forward and runs this layer's backward
  // through batch_backward_cpu. This layer's CPU forward then only takes the statistics and
  // updates the running ones (its top is not written), and its CPU backward does nothing.
  // The GPU passes ignore it: they run the separate code.
  void set_normalized_by_reader(bool fused) { normalized_by_reader_ = fused; }
  bool normalized_by_reader() const { return normalized_by_reader_; }
  // The batch statistics of the last CPU forward with batch statistics: per channel the
  // mean and 1 / sqrt(variance + eps), channels() values each.
  const float* batch_mean() const { return mean_.data(); }
  const float* batch_inv_std() const { return inv_std_.data(); }

  // The gradient on this layer's output, handed out a run of elements at a time, so that a
  // fused reader can compute it on the fly instead of writing it to a blob first.
  class OutputGradient {
   public:
    virtual ~OutputGradient() = default;
    // The gradient on output elements [offset, offset + n): a pointer to memory holding
    // it, or `buffer` (n floats) filled with it. `y` is the normalised output at those
    // elements (meaningful only where the caller passed the saved output, see below).
    virtual const float* get(size_t offset, int n, const float* y, float* buffer) const = 0;
  };
  // The backward of the batch-statistics normalisation of the last CPU forward, for the
  // fused reader: `y` is the normalised output as that forward computed it (the reader
  // saved it), `dy` gives the gradient on it, dx receives the gradient on the input (it
  // may be the memory dy reads from). The same code as this layer's own backward, so the
  // arithmetic, and the result, is the unfused one bit for bit.
  void batch_backward_cpu(const float* y, const OutputGradient& dy, float* dx);

  // Re-estimating the running statistics (batch_norm_recalibration.hpp): begin clears
  // them and makes every later training-mode forward add its batch statistics with equal
  // weight (moving_average_fraction 1), end restores the configured fraction.
  void begin_recalibration();
  void end_recalibration();

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

 private:
  void batch_statistics(const float* x);
  void synchronized_batch_statistics(const float* x, const CrossReplicaSum& sum);
  // The sum to synchronize batch statistics with, or null when they stay this replica's
  // own (not synchronized, or no sum installed).
  const CrossReplicaSum* replica_sum() const;
  void global_statistics();
  void update_running_statistics();
  // Backward with batch statistics: x_or_y is the saved normalised output, or the input x
  // when `recompute` (the output is then recomputed per element as forward did).
  void batch_statistics_backward(const float* x_or_y, bool recompute, const OutputGradient& dy, float* dx);

  bool use_global_stats_ = false;
  bool folded_ = false;
  bool normalized_by_reader_ = false;
  bool sync_across_replicas_ = false;
  float moving_average_fraction_ = 0.999f;
  float configured_moving_average_fraction_ = 0.999f;
  float eps_ = 1e-5f;
  int num_ = 0;
  int channels_ = 0;
  int spatial_ = 0;
  // The number of values per channel the last batch statistics were taken over: N x H x W
  // of this replica, or of all replicas when synchronized.
  double batch_count_ = 0;
  // Per-channel statistics of the last forward pass, reused by backward.
  std::vector<float> mean_;
  std::vector<float> variance_;
  std::vector<float> inv_std_;
  // The normalised output, kept only when running in place: the bottom is overwritten, and
  // a later in-place layer (Quant, ReLU) may overwrite the top before backward runs.
  Blob x_norm_;
  bool saved_x_norm_ = false;
  // The per-channel statistics of a GPU pass, on the device: mean, variance, 1/std,
  // mean(dy), mean(dy * y), C values each.
  Blob gpu_stats_;
};

}  // namespace hwgq
