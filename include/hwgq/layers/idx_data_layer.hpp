// IdxData: images and labels from IDX files (MNIST, Fashion-MNIST), gzipped or not.
// Both files are read into memory once as bytes; each batch is converted to float
// ((pixel - mean) * scale) one batch ahead in a background thread, so forward only copies.
//
// Tops: data (batch x 1 x rows x cols) and, optionally, label (batch).
// Samples are visited in a fresh random order each epoch when shuffle is set (never in the
// TEST phase); a batch runs on across the end of an epoch into the next one, so any batch
// size works, even one larger than the data set.
//
// In a data-parallel run (hwgq/replica.hpp: N > 1 replicas) the epochs form one stream of
// items, and replica r takes items r, r + N, r + 2N, ...: the replicas' batches of one
// iteration together are exactly the batch of N x batch_size one process would read.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "hwgq/data/idx_reader.hpp"
#include "hwgq/data/prefetcher.hpp"
#include "hwgq/layer.hpp"

namespace hwgq {

class IdxDataLayer : public TypedLayer<IdxDataLayer> {
 public:
  static constexpr const char* kType = "IdxData";

  explicit IdxDataLayer(const LayerParameter& param) : TypedLayer(param) {}
  ~IdxDataLayer() override;

  void layer_setup(const BlobVec& bottom, const BlobVec& top) override;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int exact_num_bottom_blobs() const override { return 0; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }

  int num_samples() const { return num_samples_; }
  int64_t source_size() const override { return num_samples_ > 0 ? num_samples_ : -1; }

  // "seed batches-consumed": enough to recreate the read position, since each epoch's
  // order is a function of the seed and the epoch number. The count is over all replicas
  // (batches of batch_size), so a run resumed with another number of replicas goes on
  // from the same place in the stream.
  std::string save_state() const override;
  void restore_state(const std::string& state) override;

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {}
  // The batch arrives already uploaded (GPU mode): a device-to-device copy into the tops.
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {}

 private:
  // Runs in the prefetch thread: fills `batch` with the next batch_size samples.
  void fill_batch(Batch* batch);
  // Starts the stream at `batches` batches of all replicas consumed.
  void seek(uint64_t batches);
  // The sample order of `epoch_`: shuffled from (seed_, epoch_) alone, so any position can
  // be recreated without replaying the epochs before it.
  void order_for_epoch();
  void start_prefetch();

  IdxArray images_;
  IdxArray labels_;
  int num_samples_ = 0;
  int batch_size_ = 0;
  int sample_size_ = 0;
  float scale_ = 1.f;
  float mean_ = 0.f;
  bool shuffle_ = false;

  uint64_t seed_ = 0;
  int replica_rank_ = 0;
  int replica_count_ = 1;
  // Batches of all replicas consumed before this layer started or was restored, and the
  // batches this replica handed to forward since (the main thread's counts; the prefetch
  // thread runs ahead).
  uint64_t base_batches_ = 0;
  uint64_t consumed_batches_ = 0;
  // Only the prefetch thread touches these after layer_setup: the stream index of this
  // replica's next item and the epoch whose order is in order_.
  uint64_t next_item_ = 0;
  uint64_t epoch_ = 0;
  std::vector<uint32_t> order_;

  std::unique_ptr<BatchPrefetcher> prefetcher_;
};

}  // namespace hwgq
