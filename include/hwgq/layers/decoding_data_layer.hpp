// The shared part of the Data (LMDB) and ImageData (image list) layers: items are taken
// from a source in order by the prefetch thread, decoded and transformed by the decode
// workers, and gathered into batches `prefetch` batches ahead of forward.
//
// Random crops and mirrors come from a generator seeded by the layer's seed and the
// item's place in the stream of items drawn from the source, so they do not depend on
// decode_threads, and a snapshot's saved read position (seed and place) lets a resumed
// run see exactly the batches an uninterrupted one would.
//
// An item that cannot be read or decoded, or whose shape differs from the first readable
// item's, is skipped with a warning and counted (the count is logged periodically and at
// shutdown); the batch is completed with the items that follow. A whole pass over the
// source without one readable item is an error.
//
// In a data-parallel run (hwgq/replica.hpp: N > 1 replicas) replica r draws the items r,
// r + N, r + 2N, ... of the stream and skips the others, so the replicas share every pass
// without overlap, and an item's crop and mirror are those a single process would give it.
//
// Tops: data (batch x C x H x W after transform_param) and, optionally, label (batch).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hwgq/data/data_transformer.hpp"
#include "hwgq/data/datum.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/data/prefetcher.hpp"
#include "hwgq/layer.hpp"

namespace hwgq {

class DecodingDataLayer : public Layer {
 public:
  explicit DecodingDataLayer(const LayerParameter& param) : Layer(param) {}
  // Subclasses must call stop_prefetch() first in their own destructor, since the
  // prefetch thread calls their virtual functions.
  ~DecodingDataLayer() override;

  void layer_setup(const BlobVec& bottom, const BlobVec& top) final;
  void reshape(const BlobVec& bottom, const BlobVec& top) override;
  int exact_num_bottom_blobs() const override { return 0; }
  int min_top_blobs() const override { return 1; }
  int max_top_blobs() const override { return 2; }

  // Items skipped as unreadable so far.
  int64_t skipped() const { return skipped_.load(); }
  // Shape of one transformed item (C x H x W).
  const std::vector<int>& item_shape() const { return item_shape_; }
  // How long forward waited for the prefetch thread's batches (BatchPrefetcher::wait_stats)
  // since the last setup or restore_state; zero before setup.
  BatchPrefetcher::WaitStats prefetch_wait() const {
    return prefetcher_ ? prefetcher_->wait_stats() : BatchPrefetcher::WaitStats();
  }
  // Items in one pass over the source, known once the source is open.
  int64_t source_size() const override = 0;
  // The read position: "seed items" of the last batch forward consumed, counted over all
  // replicas (so a run resumed with another number of replicas goes on from there).
  std::string save_state() const override;
  void restore_state(const std::string& state) override;

 protected:
  // One item as the source hands it out: a name for messages, the label, and the stored
  // bytes where the source has them at hand (a database record).
  struct SourceItem {
    std::string name;
    std::string payload;
    int label = 0;
  };
  // An item's pixels after decoding; `pixels` points into `image` or `datum`.
  struct DecodedItem {
    Datum datum;
    Image image;
    PixelData pixels;
    int label = 0;
  };

  // Checks the layer's parameters and opens the source.
  virtual void open_source() = 0;
  virtual int batch_size() const = 0;
  // The transform to apply: transform_param with the legacy fields of the layer's own
  // parameter (scale, mean_file, crop_size, mirror) filled in where it leaves them unset.
  virtual TransformationParameter transform_param() const = 0;
  virtual int prefetch_depth() const;
  virtual int decode_threads() const = 0;
  // Goes back to the first item; a source that shuffles seeds its order from `seed`.
  virtual void rewind(uint64_t seed) = 0;
  // rand_skip of the layer's parameters: a fresh start skips a random number below it.
  virtual uint32_t rand_skip() const = 0;
  // The next item; called by the producer thread only (and by setup while it is stopped).
  virtual void next_item(SourceItem* item) = 0;
  // Moves on by `count` items exactly as `count` next_item calls would; sources that can
  // do it without reading the items override it.
  virtual void skip_items(int64_t count);
  // Decodes an item; raises hwgq::Error when it cannot, which skips it. Runs on several
  // decode workers at once.
  virtual void decode(const SourceItem& item, DecodedItem* out) const = 0;

  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {}
  // The batch arrives already uploaded (GPU mode): a device-to-device copy into the tops.
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {}

  void stop_prefetch();


  // transform_param completed by the legacy transform fields that Caffe still accepts in
  // data_param and image_data_param; transform_param wins where both set one.
  template <class LegacyParam>
  TransformationParameter merged_transform_param(const LegacyParam& legacy) const {
    TransformationParameter merged = param_.transform_param();
    if (legacy.has_scale() && !merged.has_scale()) merged.set_scale(legacy.scale());
    if (legacy.has_mean_file() && !merged.has_mean_file() && merged.mean_value_size() == 0) {
      merged.set_mean_file(legacy.mean_file());
    }
    if (legacy.has_crop_size() && !merged.has_crop_size()) merged.set_crop_size(legacy.crop_size());
    if (legacy.has_mirror() && !merged.has_mirror()) merged.set_mirror(legacy.mirror());
    return merged;
  }

 private:
  // Rewinds the source with `seed` and moves to `position` (items drawn by all replicas)
  // plus this replica's rank; a fresh start instead draws rand_skip's random skip from the
  // run's generator.
  void start_stream(uint64_t seed, int64_t position, bool fresh);
  void start_prefetch();
  void draw_item(SourceItem* item);
  void fill_batch(Batch* batch);

  void note_skipped(const std::string& name, const std::string& reason);

  std::unique_ptr<DataTransformer> transformer_;
  std::vector<int> source_shape_;  // C x H x W of every accepted item before the transform
  std::vector<int> item_shape_;
  int item_size_ = 0;
  int batch_size_ = 0;
  bool has_label_top_ = false;

  // Seeds the shuffled order and every item's crop and mirror.
  uint64_t seed_ = 0;
  int replica_rank_ = 0;
  int replica_count_ = 1;
  // Stream indices (over all replicas): this replica's next item (producer thread), and
  // where it stood after the last batch forward consumed (the net's thread).
  int64_t items_drawn_ = 0;
  int64_t consumed_position_ = 0;

  // Used by the producer thread and the decode workers (one scratch item and generator
  // per worker).
  std::vector<DecodedItem> worker_items_;
  std::vector<std::mt19937_64> worker_rngs_;
  bool random_transform_ = false;
  std::vector<SourceItem> pending_;
  std::vector<int64_t> pending_index_;
  std::vector<char> accepted_;
  int64_t failures_in_a_row_ = 0;
  std::atomic<int64_t> skipped_{0};

  std::unique_ptr<BatchPrefetcher> prefetcher_;
};

}  // namespace hwgq
