#include "hwgq/layers/idx_data_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "hwgq/replica.hpp"

namespace hwgq {

// The prefetch thread reads this layer's members; it must stop before they go.
IdxDataLayer::~IdxDataLayer() { prefetcher_.reset(); }

void IdxDataLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  prefetcher_.reset();
  const IdxDataParameter& p = param_.idx_data_param();
  HWGQ_REQUIRE(!p.images().empty(), where() << "idx_data_param.images is not set");
  HWGQ_REQUIRE(p.batch_size() > 0, where() << "idx_data_param.batch_size must be positive, got " << p.batch_size());
  HWGQ_REQUIRE(top.size() < 2 || !p.labels().empty(),
               where() << "has a label top but idx_data_param.labels is not set");
  batch_size_ = static_cast<int>(p.batch_size());
  scale_ = p.scale();
  mean_ = p.mean();
  shuffle_ = p.shuffle() && phase() == TRAIN;

  images_ = read_idx_images(p.images());
  num_samples_ = images_.dims[0];
  sample_size_ = images_.dims[1] * images_.dims[2];
  HWGQ_REQUIRE(num_samples_ > 0, where() << p.images() << " holds no images");
  HWGQ_REQUIRE(sample_size_ > 0, where() << p.images() << " has empty images of "
                                         << images_.dims[1] << " x " << images_.dims[2] << " pixels");
  if (!p.labels().empty()) {
    labels_ = read_idx_labels(p.labels());
    HWGQ_REQUIRE(labels_.dims[0] == num_samples_, where() << p.images() << " holds " << num_samples_
                                                          << " images but " << p.labels() << " holds "
                                                          << labels_.dims[0] << " labels");
  }
  LOG(INFO) << where() << num_samples_ << " images of " << images_.dims[1] << " x " << images_.dims[2]
            << " from " << p.images() << (shuffle_ ? ", shuffled each epoch" : "");

  // Seeded from the run's generator, so the solver's random_seed fixes the sample order.
  seed_ = Context::get().rng()();
  replica_rank_ = this_replica().rank;
  replica_count_ = this_replica().count;
  if (replica_count_ > 1) {
    LOG(INFO) << where() << "replica " << replica_rank_ << " of " << replica_count_ << " reads every "
              << replica_count_ << "th item";
  }
  seek(0);
  start_prefetch();
}

void IdxDataLayer::start_prefetch() {
  // Converting a batch is a cheap loop, so one batch ahead on one thread keeps up.
  prefetcher_ = std::make_unique<BatchPrefetcher>(1, 1, [this](Batch* batch) { fill_batch(batch); });
  prefetcher_->start();
}

void IdxDataLayer::order_for_epoch() {
  order_.resize(num_samples_);
  std::iota(order_.begin(), order_.end(), 0u);
  if (!shuffle_) return;
  std::seed_seq seq{static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32), static_cast<uint32_t>(epoch_),
                    static_cast<uint32_t>(epoch_ >> 32)};
  std::mt19937_64 rng(seq);
  std::shuffle(order_.begin(), order_.end(), rng);
}

void IdxDataLayer::seek(uint64_t batches) {
  base_batches_ = batches;
  consumed_batches_ = 0;
  next_item_ = batches * static_cast<uint64_t>(batch_size_) + static_cast<uint64_t>(replica_rank_);
  epoch_ = next_item_ / num_samples_;
  order_for_epoch();
}

std::string IdxDataLayer::save_state() const {
  return std::to_string(seed_) + " " + std::to_string(base_batches_ + consumed_batches_ * replica_count_);
}

void IdxDataLayer::restore_state(const std::string& state) {
  std::istringstream in(state);
  uint64_t seed = 0, consumed = 0;
  HWGQ_REQUIRE(static_cast<bool>(in >> seed >> consumed), where() << "cannot read the saved read position "" << state << """);
  prefetcher_.reset();  // stops the thread before its position changes
  seed_ = seed;
  seek(consumed);
  start_prefetch();
}

void IdxDataLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  top[0]->reshape({batch_size_, 1, images_.dims[1], images_.dims[2]});
  if (top.size() > 1) top[1]->reshape({batch_size_});
}

void IdxDataLayer::fill_batch(Batch* batch) {
  batch->data.resize(static_cast<size_t>(batch_size_) * sample_size_);
  batch->label.resize(labels_.values.empty() ? 0 : batch_size_);
  for (int i = 0; i < batch_size_; ++i) {
    const uint64_t epoch = next_item_ / num_samples_;
    if (epoch != epoch_) {
      epoch_ = epoch;
      order_for_epoch();
    }
    const size_t sample = order_[next_item_ % num_samples_];
    next_item_ += static_cast<uint64_t>(replica_count_);
    const uint8_t* pixels = images_.values.data() + sample * sample_size_;
    float* out = batch->data.data() + static_cast<size_t>(i) * sample_size_;
    for (int j = 0; j < sample_size_; ++j) out[j] = (static_cast<float>(pixels[j]) - mean_) * scale_;
    if (!batch->label.empty()) batch->label[i] = static_cast<float>(labels_.values[sample]);
  }
}

void IdxDataLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  prefetcher_->consume_into(top[0], top.size() > 1 ? top[1] : nullptr, false);
  ++consumed_batches_;
}

}  // namespace hwgq
