// Background batch preparation shared by the data layers: one producer thread keeps up
// to `depth` batches ready ahead of forward, and a small pool of decode workers lets the
// producer spread one batch's items (image decoding, transforms) over several threads.
// Forward then only copies a finished batch into its tops.
//
// GPU mode (the run's mode when start() is called, with a GPU present): the batches live
// in page-locked host memory, and the producer thread also uploads each batch into device
// buffers of its own on the copy stream, waits until the upload has landed, and only then
// hands the batch out; forward copies it into the tops device to device on the compute
// stream. Each batch carries an event recorded after that copy, which the producer waits
// for before it overwrites the batch's device buffers again.
#pragma once

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "hwgq/data/pinned_array.hpp"

namespace hwgq {

class Blob;

// One batch in the layout of the data layers' tops.
struct Batch {
  explicit Batch(bool page_locked = true) : data(page_locked), label(page_locked) {}
  PinnedArray data;
  PinnedArray label;
  // Set by the prefetcher in GPU mode, never by a Fill: device copies of data and label
  // that landed on GPU `device` before the batch was handed out (gpu_label is null for an
  // empty label). Null, and device -1, otherwise.
  const float* gpu_data = nullptr;
  const float* gpu_label = nullptr;
  int device = -1;
  // Set by the Fill where the source has a position: where it stood after the batch's
  // last item (data layers save it with snapshots to resume from).
  int64_t position = 0;
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
  // The run's mode at this point decides whether batches are uploaded (see above).
  void start();
  // Stops the producer (after the batch it is filling) and the workers, joins them, and
  // frees the device buffers; later calls do nothing. The destructor calls it.
  void stop();
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // Waits for the oldest ready batch, hands it to `use`, then gives the buffer back to
  // the producer. Device-to-device copies out of batch.gpu_data / gpu_label that `use`
  // issues must go to the compute stream (copy_device_to_device_async): the batch's event
  // is recorded there after `use` returns.
  void consume(const std::function<void(const Batch&)>& use);
  // consume() into blobs shaped like the batch: `data` and, when not null, `label`. With
  // on_gpu the blobs' device memory is written, device to device from the batch's device
  // copies when it has them on the calling thread's current GPU; otherwise (and always
  // without on_gpu) their host memory is written, and a later GPU reader uploads it.
  // Returns the batch's position.
  int64_t consume_into(Blob* data, Blob* label, bool on_gpu);
  // Whether this prefetcher uploads its batches (started in GPU mode with a GPU present).
  bool uploads() const { return uploads_; }

  // How long consume() waited for a batch to be ready, summed over all its calls: the time
  // the training loop stood still for data (0 when the producer always kept ahead).
  struct WaitStats {
    int64_t batches = 0;  // consume() calls that got a batch
    double wait_seconds = 0;
  };
  WaitStats wait_stats() const;

  // Runs fn(i, worker) for every i in [0, n) and returns when all are done. Item i always
  // runs on worker i % decode_threads(); `worker` indexes per-worker scratch state. The first exception
  // thrown by fn is rethrown here once all items finished. Not reentrant.
  void parallel_for(int n, const std::function<void(int item, int worker)>& fn);
  int decode_threads() const { return decode_threads_; }

  // True once shutdown began; long fills (retrying unreadable items) should give up.
  bool stopping() const { return stopping_.load(); }

 private:
  // A batch with its device side (defined in prefetcher.cpp).
  struct Slot;

  void produce();
  void upload(Slot* slot);
  // Returns a consumed slot to the producer, after marking the compute stream for it.
  void release(Slot* slot);
  void free_device_buffers();
  void work(int worker);
  void run_share(int worker);

  Fill fill_;
  int depth_;
  int decode_threads_;
  std::atomic<bool> stopping_{false};
  // Fixed by start(): whether batches are uploaded, and to which GPU.
  bool uploads_ = false;
  int device_ = -1;

  // Batch hand-over between producer and consumer. A slot in neither queue belongs to
  // whoever took it out: the producer filling it or the consumer reading it.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<Slot*> free_;
  std::deque<Slot*> ready_;
  std::exception_ptr failure_;
  // wait_stats(): written by the consuming thread, readable from any.
  std::atomic<int64_t> consumed_batches_{0};
  std::atomic<int64_t> consume_wait_ns_{0};

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
