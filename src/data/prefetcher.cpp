#include "hwgq/data/prefetcher.hpp"

#include <glog/logging.h>

namespace hwgq {

BatchPrefetcher::BatchPrefetcher(int depth, int decode_threads, Fill fill)
    : fill_(std::move(fill)), decode_threads_(decode_threads) {
  CHECK_GE(depth, 1);
  CHECK_GE(decode_threads, 1);
  for (int i = 0; i < depth; ++i) {
    batches_.push_back(std::make_unique<Batch>());
    free_.push_back(batches_.back().get());
  }
  for (int w = 1; w < decode_threads_; ++w) workers_.emplace_back(&BatchPrefetcher::work, this, w);
}

void BatchPrefetcher::start() {
  CHECK(!producer_.joinable()) << "BatchPrefetcher started twice";
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
}

void BatchPrefetcher::produce() {
  for (;;) {
    Batch* batch = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || !free_.empty(); });
      if (stopping_) return;
      batch = free_.front();
      free_.pop_front();
    }
    try {
      fill_(batch);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.push_back(batch);
    changed_.notify_all();
  }
}

void BatchPrefetcher::consume(const std::function<void(const Batch&)>& use) {
  Batch* batch = nullptr;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return !ready_.empty() || failure_; });
    // Batches finished before a failure are still good; the failure surfaces after them.
    if (ready_.empty()) std::rethrow_exception(failure_);
    batch = ready_.front();
    ready_.pop_front();
  }
  // The producer never touches a batch that is in neither queue, so no lock is needed
  // while it is read.
  try {
    use(*batch);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(batch);
    changed_.notify_all();
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(batch);
  changed_.notify_all();
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
