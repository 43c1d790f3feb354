#include "hwgq/layers/decoding_data_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>

#include "hwgq/math/counter_hash.hpp"
#include "hwgq/replica.hpp"

namespace hwgq {

namespace {
// Skips are logged one by one up to this many, then once per this many.
constexpr int64_t kSkipsLoggedInFull = 20;
}  // namespace

DecodingDataLayer::~DecodingDataLayer() {
  stop_prefetch();
  if (skipped_ > 0) LOG(WARNING) << where() << "skipped " << skipped_ << " unreadable item(s) in all";
}

// The fill running in the producer thread reaches the prefetcher through prefetcher_, so
// the thread must be stopped before the pointer is cleared.
void DecodingDataLayer::stop_prefetch() {
  if (!prefetcher_) return;
  prefetcher_->stop();
  prefetcher_.reset();
}

int DecodingDataLayer::prefetch_depth() const {
  // Caffe reads the depth from data_param for every prefetching layer.
  return std::max<int>(1, static_cast<int>(param_.data_param().prefetch()));
}

void DecodingDataLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  stop_prefetch();
  open_source();
  batch_size_ = batch_size();
  HWGQ_REQUIRE(batch_size_ > 0, where() << "batch_size must be positive, got " << batch_size_);
  HWGQ_REQUIRE(source_size() > 0, where() << "the source holds no items");
  const int threads = decode_threads();
  HWGQ_REQUIRE(threads >= 1 && threads <= 256, where() << "decode_threads must be in [1, 256], got " << threads);
  transformer_ = std::make_unique<DataTransformer>(transform_param(), phase(), where());
  has_label_top_ = top.size() > 1;

  // The first readable item fixes the shape of every batch.
  DecodedItem first;
  SourceItem item;
  bool found = false;
  for (int64_t i = 0; i < source_size() && !found; ++i) {
    next_item(&item);
    try {
      decode(item, &first);
      found = true;
    } catch (const Error& e) {
      note_skipped(item.name, e.what());
    }
  }
  HWGQ_REQUIRE(found, where() << "none of the " << source_size() << " items of the source can be read");
  source_shape_ = {first.pixels.channels, first.pixels.height, first.pixels.width};
  transformer_->check_input(first.pixels.channels, first.pixels.height, first.pixels.width);
  item_shape_ = transformer_->output_shape(first.pixels.channels, first.pixels.height, first.pixels.width);
  item_size_ = item_shape_[0] * item_shape_[1] * item_shape_[2];
  LOG(INFO) << where() << "items of " << shape_string(source_shape_) << ", batches of " << batch_size_ << " x "
            << shape_string(item_shape_);

  worker_items_.assign(threads, DecodedItem());
  worker_rngs_.assign(threads, std::mt19937_64());
  random_transform_ = transformer_->draws_random();
  failures_in_a_row_ = 0;
  replica_rank_ = this_replica().rank;
  replica_count_ = this_replica().count;
  if (replica_count_ > 1) {
    LOG(INFO) << where() << "replica " << replica_rank_ << " of " << replica_count_ << " reads every "
              << replica_count_ << "th item";
  }
  // One draw of the run's generator seeds the order and the transforms, so random_seed
  // fixes both.
  start_stream(Context::get().rng()(), 0, true);
  start_prefetch();
}

void DecodingDataLayer::start_stream(uint64_t seed, int64_t position, bool fresh) {
  seed_ = seed;
  rewind(seed);
  items_drawn_ = 0;
  if (fresh && rand_skip() > 0) {
    position = std::uniform_int_distribution<uint32_t>(0, rand_skip() - 1)(Context::get().rng());
    LOG(INFO) << where() << "skipping the first " << position << " items";
  }
  position += replica_rank_;
  skip_items(position);
  items_drawn_ = position;
  consumed_position_ = position;
}

void DecodingDataLayer::start_prefetch() {
  prefetcher_ = std::make_unique<BatchPrefetcher>(prefetch_depth(), decode_threads(),
                                                  [this](Batch* batch) { fill_batch(batch); });
  prefetcher_->start();
}

void DecodingDataLayer::skip_items(int64_t count) {
  SourceItem ignored;
  for (int64_t i = 0; i < count; ++i) next_item(&ignored);
}

void DecodingDataLayer::draw_item(SourceItem* item) {
  next_item(item);
  // The other replicas' items.
  if (replica_count_ > 1) skip_items(replica_count_ - 1);
  items_drawn_ += replica_count_;
}

std::string DecodingDataLayer::save_state() const {
  return std::to_string(seed_) + " " + std::to_string(consumed_position_ - replica_rank_);
}

void DecodingDataLayer::restore_state(const std::string& state) {
  std::istringstream in(state);
  uint64_t seed = 0;
  int64_t position = 0;
  HWGQ_REQUIRE(static_cast<bool>(in >> seed >> position) && position >= 0,
               where() << "cannot read the saved read position \"" << state << "\"");
  stop_prefetch();  // the producer thread must not draw while the position moves
  failures_in_a_row_ = 0;
  start_stream(seed, position, false);
  start_prefetch();
}

void DecodingDataLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  top[0]->reshape({batch_size_, item_shape_[0], item_shape_[1], item_shape_[2]});
  if (top.size() > 1) top[1]->reshape({batch_size_});
}

void DecodingDataLayer::note_skipped(const std::string& name, const std::string& reason) {
  const int64_t count = ++skipped_;
  if (count <= kSkipsLoggedInFull) {
    LOG(WARNING) << where() << "skipping " << name << ": " << reason;
  } else if (count % 1000 == 0) {
    LOG(WARNING) << where() << count << " unreadable items skipped so far (latest: " << name << ": " << reason << ")";
  }
}

void DecodingDataLayer::fill_batch(Batch* batch) {
  batch->data.resize(static_cast<size_t>(batch_size_) * item_size_);
  batch->label.resize(batch_size_);
  int filled = 0;
  while (filled < batch_size_) {
    if (prefetcher_->stopping()) return;
    const int wanted = batch_size_ - filled;
    pending_.resize(wanted);
    pending_index_.resize(wanted);
    for (int i = 0; i < wanted; ++i) {
      pending_index_[i] = items_drawn_;
      draw_item(&pending_[i]);
    }
    accepted_.assign(wanted, 0);
    std::vector<std::string> reasons(wanted);
    prefetcher_->parallel_for(wanted, [&](int i, int worker) {
      DecodedItem& decoded = worker_items_[worker];
      try {
        decode(pending_[i], &decoded);
        const PixelData& px = decoded.pixels;
        if (std::vector<int>{px.channels, px.height, px.width} != source_shape_) {
          reasons[i] = "its shape " + shape_string({px.channels, px.height, px.width}) + " differs from " +
                       shape_string(source_shape_) + ", the shape of the first item";
          return;
        }
        float* out = batch->data.data() + static_cast<size_t>(filled + i) * item_size_;
        // The worker's generator, reseeded for this item when the transform draws: crop
        // and mirror depend on the seed and the item's place in the stream only, not on
        // which worker transforms it. (Seeding costs ~2 us, so transforms without
        // randomness skip it.)
        std::mt19937_64& rng = worker_rngs_[worker];
        if (random_transform_) rng.seed(counter_hash(seed_, static_cast<uint64_t>(pending_index_[i])));
        if (px.bytes) {
          transformer_->transform(px.bytes, px.layout, px.channels, px.height, px.width, out, rng);
        } else {
          transformer_->transform(px.floats, px.layout, px.channels, px.height, px.width, out, rng);
        }
        batch->label[filled + i] = static_cast<float>(decoded.label);
        accepted_[i] = 1;
      } catch (const Error& e) {
        reasons[i] = e.what();
      }
    });
    // Close the gaps left by skipped items, keeping source order.
    int next = filled;
    for (int i = 0; i < wanted; ++i) {
      if (!accepted_[i]) {
        note_skipped(pending_[i].name, reasons[i]);
        ++failures_in_a_row_;
        HWGQ_REQUIRE(failures_in_a_row_ < source_size(),
                     where() << "no readable item in a whole pass over the source (" << source_size() << " items)");
        continue;
      }
      failures_in_a_row_ = 0;
      if (next != filled + i) {
        std::memmove(batch->data.data() + static_cast<size_t>(next) * item_size_,
                     batch->data.data() + static_cast<size_t>(filled + i) * item_size_, item_size_ * sizeof(float));
        batch->label[next] = batch->label[filled + i];
      }
      ++next;
    }
    filled = next;
  }
  batch->position = items_drawn_;
}

void DecodingDataLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  consumed_position_ = prefetcher_->consume_into(top[0], top.size() > 1 ? top[1] : nullptr, false);
}

}  // namespace hwgq
