#include "hwgq/data/prefetcher.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>

#include "hwgq/blob.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/device_memory.hpp"

namespace hwgq {

struct BatchPrefetcher::Slot {
  explicit Slot(bool page_locked) : batch(page_locked) {}

  Batch batch;
  // GPU mode: the batch's device buffers, grown on demand and owned by the producer
  // between hand-outs.
  void* gpu_data = nullptr;
  size_t gpu_data_bytes = 0;
  void* gpu_label = nullptr;
  size_t gpu_label_bytes = 0;
  // After this slot's uploads, on the copy stream.
  std::unique_ptr<DeviceEvent> landed;
  // After the consumer's last read of the device buffers, on the compute stream.
  std::unique_ptr<DeviceEvent> consumed;
};

namespace {

// Grows a device buffer to at least `bytes`. Only called once nothing reads the old one.
void reserve_device(void** ptr, size_t* capacity, size_t bytes) {
  if (bytes <= *capacity) return;
  device_free(*ptr);
  *ptr = nullptr;
  *capacity = 0;
  *ptr = device_malloc(bytes);
  *capacity = bytes;
}

}  // namespace

BatchPrefetcher::BatchPrefetcher(int depth, int decode_threads, Fill fill)
    : fill_(std::move(fill)), depth_(depth), decode_threads_(decode_threads) {
  CHECK_GE(depth, 1);
  CHECK_GE(decode_threads, 1);
  for (int w = 1; w < decode_threads_; ++w) workers_.emplace_back(&BatchPrefetcher::work, this, w);
}

void BatchPrefetcher::start() {
  CHECK(!producer_.joinable()) << "BatchPrefetcher started twice";
  uploads_ = Context::get().mode() == Mode::GPU && device_count() > 0;
  device_ = uploads_ ? Context::get().device() : -1;
  // Page-locked only when uploading: a CPU run on a GPU machine pins nothing.
  for (int i = 0; i < depth_; ++i) {
    slots_.push_back(std::make_unique<Slot>(uploads_));
    free_.push_back(slots_.back().get());
  }
  producer_ = std::thread(&BatchPrefetcher::produce, this);
}

BatchPrefetcher::~BatchPrefetcher() { stop(); }

void BatchPrefetcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  // The producer may be inside parallel_for, so the workers stop only after it has.
  if (producer_.joinable()) producer_.join();
  {
    std::lock_guard<std::mutex> lock(job_mutex_);
    workers_stopping_ = true;
  }
  job_changed_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  free_device_buffers();
}

void BatchPrefetcher::free_device_buffers() {
  const bool any = std::any_of(slots_.begin(), slots_.end(), [](const auto& slot) { return slot->landed != nullptr; });
  if (!any) return;
  try {
    // The buffers and events were made on device_ by the producer thread; this thread may
    // have another current device.
    DeviceGuard guard(device_);
    for (auto& slot : slots_) {
      // A device-to-device copy out of the buffers may still be queued on the compute
      // stream, and an upload on the copy stream.
      if (slot->consumed) slot->consumed->synchronize();
      if (slot->landed) slot->landed->synchronize();
      device_free(slot->gpu_data);
      device_free(slot->gpu_label);
      slot->gpu_data = slot->gpu_label = nullptr;
      slot->gpu_data_bytes = slot->gpu_label_bytes = 0;
      slot->batch.gpu_data = slot->batch.gpu_label = nullptr;
      slot->batch.device = -1;
      slot->landed.reset();
      slot->consumed.reset();
    }
  } catch (const std::exception& e) {
    // Called from the destructor too: report, do not throw.
    LOG(WARNING) << "data prefetch: could not release its GPU buffers: " << e.what();
  }
}

void BatchPrefetcher::produce() {
  if (uploads_) {
    try {
      // CUDA keeps the current device per host thread, and a new thread starts on GPU 0.
      select_device(device_);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
      changed_.notify_all();
      return;
    }
  }
  for (;;) {
    Slot* slot = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !free_.empty(); });
      if (stopping_) return;
      slot = free_.front();
      free_.pop_front();
    }
    try {
      slot->batch.gpu_data = slot->batch.gpu_label = nullptr;
      slot->batch.device = -1;
      fill_(&slot->batch);
      // A fill cut short by stop() leaves a batch nobody will read: no need to upload it.
      if (uploads_ && !stopping_) upload(slot);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.push_back(slot);
    changed_.notify_all();
  }
}

void BatchPrefetcher::upload(Slot* slot) {
  Batch& batch = slot->batch;
  if (!slot->landed) {
    slot->landed = std::make_unique<DeviceEvent>();
    slot->consumed = std::make_unique<DeviceEvent>();
  }
  // The consumer's device-to-device copy out of these buffers (last hand-out) may still
  // be queued behind the compute stream's work: let it finish before overwriting them.
  slot->consumed->synchronize();
  const size_t data_bytes = batch.data.size() * sizeof(float);
  const size_t label_bytes = batch.label.size() * sizeof(float);
  reserve_device(&slot->gpu_data, &slot->gpu_data_bytes, data_bytes);
  reserve_device(&slot->gpu_label, &slot->gpu_label_bytes, label_bytes);
  try {
    if (data_bytes > 0) upload_async(slot->gpu_data, batch.data.data(), data_bytes);
    if (label_bytes > 0) upload_async(slot->gpu_label, batch.label.data(), label_bytes);
    slot->landed->record_on_copy_stream();
    // The host buffers are handed out next (and refilled after), so the copies must be
    // complete, not just queued.
    slot->landed->synchronize();
  } catch (...) {
    // An upload that did start may still read the host buffers: they must outlive it.
    try {
      wait_for_uploads();
    } catch (...) {
    }
    throw;
  }
  batch.gpu_data = data_bytes > 0 ? static_cast<const float*>(slot->gpu_data) : nullptr;
  batch.gpu_label = label_bytes > 0 ? static_cast<const float*>(slot->gpu_label) : nullptr;
  batch.device = device_;
}

void BatchPrefetcher::consume(const std::function<void(const Batch&)>& use) {
  Slot* slot = nullptr;
  {
    const auto wait_start = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty() || failure_; });
    consume_wait_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                             wait_start)
                            .count();
    // Batches finished before a failure are still good; the failure surfaces after them.
    if (ready_.empty()) std::rethrow_exception(failure_);
    slot = ready_.front();
    ready_.pop_front();
    ++consumed_batches_;
  }
  // The producer never touches a slot that is in neither queue, so no lock is needed
  // while it is read.
  try {
    use(slot->batch);
  } catch (...) {
    release(slot);
    throw;
  }
  release(slot);
}

BatchPrefetcher::WaitStats BatchPrefetcher::wait_stats() const {
  WaitStats stats;
  stats.batches = consumed_batches_.load();
  stats.wait_seconds = double(consume_wait_ns_.load()) * 1e-9;
  return stats;
}

void BatchPrefetcher::release(Slot* slot) {
  if (slot->consumed) {
    try {
      slot->consumed->record_on_compute_stream();
    } catch (...) {
      // Without the mark the device buffers cannot be reused safely: the slot stays out of
      // circulation, and once the ready batches are used up consume() reports this error.
      std::lock_guard<std::mutex> lock(mutex_);
      if (!failure_) failure_ = std::current_exception();
      changed_.notify_all();
      throw;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(slot);
  changed_.notify_all();
}

int64_t BatchPrefetcher::consume_into(Blob* data, Blob* label, bool on_gpu) {
  int64_t position = 0;
  consume([&](const Batch& batch) {
    position = batch.position;
    CHECK_EQ(static_cast<size_t>(data->count()), batch.data.size()) << "data top and batch differ in size";
    if (label) CHECK_EQ(static_cast<size_t>(label->count()), batch.label.size()) << "label top and batch differ";
    const bool on_device = on_gpu && batch.device >= 0 && batch.device == current_device();
    if (on_device && batch.gpu_data) {
      copy_device_to_device_async(data->mutable_gpu_data(), batch.gpu_data, batch.data.size() * sizeof(float));
    } else {
      std::copy(batch.data.begin(), batch.data.end(), data->mutable_cpu_data());
    }
    if (!label) return;
    if (on_device && batch.gpu_label) {
      copy_device_to_device_async(label->mutable_gpu_data(), batch.gpu_label, batch.label.size() * sizeof(float));
    } else {
      std::copy(batch.label.begin(), batch.label.end(), label->mutable_cpu_data());
    }
  });
  return position;
}

void BatchPrefetcher::run_share(int worker) {
  for (int i = worker; i < job_size_; i += decode_threads_) {
    try {
      (*job_)(i, worker);
    } catch (...) {
      std::lock_guard<std::mutex> lock(job_mutex_);
      if (!job_failure_) job_failure_ = std::current_exception();
    }
  }
}

void BatchPrefetcher::parallel_for(int n, const std::function<void(int, int)>& fn) {
  if (decode_threads_ == 1 || n <= 1) {
    for (int i = 0; i < n; ++i) fn(i, i % decode_threads_);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(job_mutex_);
    job_ = &fn;
    job_size_ = n;
    job_pending_ = decode_threads_ - 1;
    job_failure_ = nullptr;
    ++job_generation_;
  }
  job_changed_.notify_all();
  run_share(0);
  std::unique_lock<std::mutex> lock(job_mutex_);
  job_changed_.wait(lock, [this] { return job_pending_ == 0; });
  job_ = nullptr;
  if (job_failure_) {
    std::exception_ptr failure = job_failure_;
    job_failure_ = nullptr;
    std::rethrow_exception(failure);
  }
}

void BatchPrefetcher::work(int worker) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(job_mutex_);
      job_changed_.wait(lock, [&] { return workers_stopping_ || job_generation_ != seen; });
      if (workers_stopping_) return;
      seen = job_generation_;
    }
    run_share(worker);
    std::lock_guard<std::mutex> lock(job_mutex_);
    if (--job_pending_ == 0) job_changed_.notify_all();
  }
}

}  // namespace hwgq
