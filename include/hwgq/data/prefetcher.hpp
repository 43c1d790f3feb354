// Background batch preparation shared by the data layers: one producer thread keeps up
// to `depth` batches ready ahead of forward, and a small pool of decode workers lets the
// producer spread one batch's items (image decoding, transforms) over several threads.
// Forward then only copies a finished batch into its tops.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hwgq {

// One batch in the layout of the data layers' tops.
struct Batch {
  std::vector<float> data;
  std::vector<float> label;
};

class BatchPrefetcher {
 public:
  // Called in the producer thread to fill the next batch (buffers are reused, so it
  // resizes them as needed). An exception it throws stops the producer and is rethrown by
  // the next consume(), in the thread that runs the net.
  using Fill = std::function<void(Batch* batch)>;

  // depth >= 1 batches are prepared ahead; decode_threads >= 1 threads (the producer
  // among them) run parallel_for.
  BatchPrefetcher(int depth, int decode_threads, Fill fill);
  // Starts the producer. Separate from construction so that a fill which calls back into
  // this prefetcher (parallel_for) never sees it half-built or not yet stored by its owner.
  void start();
  // Stops the producer (after the batch it is filling) and the workers, and joins them;
  // later calls do nothing. The destructor calls it.
  void stop();
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // Waits for the oldest ready batch, hands it to `use`, then gives the buffer back to
  // the producer.
  void consume(const std::function<void(const Batch&)>& use);

  // Runs fn(i, worker) for every i in [0, n) and returns when all are done. Item i always
  // runs on worker i % decode_threads(), so per-worker state such as a random generator
  // gives the same results on every run with the same thread count. The first exception
  // thrown by fn is rethrown here once all items finished. Not reentrant.
  void parallel_for(int n, const std::function<void(int item, int worker)>& fn);
  int decode_threads() const { return decode_threads_; }

  // True once shutdown began; long fills (retrying unreadable items) should give up.
  bool stopping() const { return stopping_.load(); }

 private:
  void produce();
  void work(int worker);
  void run_share(int worker);

  Fill fill_;
  int decode_threads_;
  std::atomic<bool> stopping_{false};

  // Batch hand-over between producer and consumer.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Batch>> batches_;
  std::deque<Batch*> free_;
  std::deque<Batch*> ready_;
  std::exception_ptr failure_;

  // parallel_for jobs for the decode workers.
  std::mutex job_mutex_;
  std::condition_variable job_changed_;
  const std::function<void(int, int)>* job_ = nullptr;
  int job_size_ = 0;
  uint64_t job_generation_ = 0;
  int job_pending_ = 0;
  std::exception_ptr job_failure_;
  bool workers_stopping_ = false;

  std::vector<std::thread> workers_;
  std::thread producer_;
};

}  // namespace hwgq
