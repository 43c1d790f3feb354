#include "shared_memory_gradient_reducer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <new>
#include <sstream>
#include <thread>

namespace hwgq::parallel {

namespace {

// Marks are read by other processes: the atomics must work on memory that is mapped at
// different addresses, which holds for lock-free ones.
static_assert(std::atomic<int64_t>::is_always_lock_free, "cross-process marks need lock-free 64-bit atomics");

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Sums are formed in pieces this long, so that the partial sums stay in the L1 cache
// while every rank's values are added in.
constexpr int64_t kSumBlock = 4096;

}  // namespace

std::unique_ptr<SharedMemoryGradientReducer> SharedMemoryGradientReducer::create(const MpiWorld& world,
                                                                                 Solver* solver,
                                                                                 int64_t bucket_bytes, bool overlap,
                                                                                 std::vector<bool> averaged_elsewhere,
                                                                                 std::string* why) {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL, &node);
  int node_size = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_free(&node);
  if (world.any(node_size != world.size(), "the check that all ranks share one machine")) {
    *why = "the ranks run on more than one machine";
    return nullptr;
  }
  std::unique_ptr<SharedMemoryGradientReducer> reducer(
      new SharedMemoryGradientReducer(world, solver, bucket_bytes, overlap, std::move(averaged_elsewhere)));
  if (world.any(reducer->window_ == MPI_WIN_NULL, "the allocation of the shared gradient buffers")) {
    *why = "a rank could not allocate its shared-memory window";
    return nullptr;
  }
  return reducer;
}

SharedMemoryGradientReducer::SharedMemoryGradientReducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes,
                                                         bool overlap, std::vector<bool> averaged_elsewhere)
    : world_(world),
      solver_(solver),
      bucket_floats_(std::max<int64_t>(1, bucket_bytes / 4)),
      overlap_(overlap),
      averaged_elsewhere_(std::move(averaged_elsewhere)),
      rank_(world.rank()),
      size_(world.size()) {
  HWGQ_REQUIRE(bucket_bytes > 0, "the gradient bucket size must be positive, got " << bucket_bytes << " bytes");
  const auto& params = solver_->net().learnable_params();
  // Each parameter starts on a 64-byte boundary of the window, so copies and sums run on
  // whole cache lines.
  averaged_elsewhere_.resize(params.size(), false);
  int64_t floats = 0;
  for (size_t id = 0; id < params.size(); ++id) {
    window_offset_.push_back(floats);
    if (!averaged_elsewhere_[id]) floats += (static_cast<int64_t>(params[id]->count()) + 15) / 16 * 16;
  }
  // At most one bucket per parameter, and one more for a partial one.
  max_buckets_ = params.size() + 1;
  const int64_t mark_bytes = (2 * static_cast<int64_t>(max_buckets_) * 8 + 63) / 64 * 64;
  const int64_t part_bytes = mark_bytes + floats * 4;

  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_);
  // A failed allocation is reported back (create() then falls back), not fatal.
  MPI_Comm_set_errhandler(node_, MPI_ERRORS_RETURN);
  MPI_Info info;
  MPI_Info_create(&info);
  // Each rank's part in memory of its own (first touched by its owner) rather than one block.
  MPI_Info_set(info, "alloc_shared_noncontig", "true");
  void* mine = nullptr;
  const int status = MPI_Win_allocate_shared(static_cast<MPI_Aint>(part_bytes), 1, info, node_, &mine, &window_);
  MPI_Info_free(&info);
  if (status != MPI_SUCCESS) {
    LOG(WARNING) << "rank " << rank_ << ": MPI_Win_allocate_shared of " << part_bytes << " bytes failed";
    window_ = MPI_WIN_NULL;
    return;
  }
  parts_.resize(size_);
  for (int q = 0; q < size_; ++q) {
    MPI_Aint bytes = 0;
    int unit = 0;
    void* base = nullptr;
    MPI_Win_shared_query(window_, q, &bytes, &unit, &base);
    auto* marks = static_cast<std::atomic<int64_t>*>(base);
    parts_[q] = {marks, marks + max_buckets_, reinterpret_cast<float*>(static_cast<char*>(base) + mark_bytes)};
  }
  // Each rank sets its own marks to "no iteration yet" before anyone reads them.
  for (size_t b = 0; b < 2 * max_buckets_; ++b) new (parts_[rank_].published + b) std::atomic<int64_t>(0);
  world_.any(false, "the start of the shared-memory gradient reduction");

  solver_->add_gradient_ready_callback([this](int param_id) { on_gradient_ready(param_id); });
  solver_->add_gradients_ready_callback([this] { on_gradients_ready(); });
}

SharedMemoryGradientReducer::~SharedMemoryGradientReducer() {
  if (window_ != MPI_WIN_NULL) MPI_Win_free(&window_);
  if (node_ != MPI_COMM_NULL) MPI_Comm_free(&node_);
}

void SharedMemoryGradientReducer::slice(const Bucket& bucket, int q, int64_t* begin, int64_t* end) const {
  *begin = bucket.count * q / size_;
  *end = bucket.count * (q + 1) / size_;
}

template <typename Visit>
void SharedMemoryGradientReducer::for_each_piece(const Bucket& bucket, int64_t begin, int64_t end, Visit visit) {
  const auto& params = solver_->net().learnable_params();
  int64_t start = 0;  // of the current parameter within the bucket
  for (int id : bucket.params) {
    const int64_t count = params[id]->count();
    const int64_t lo = std::max(begin, start), hi = std::min(end, start + count);
    if (lo < hi) visit(params[id]->mutable_cpu_diff() + (lo - start), window_offset_[id] + (lo - start), hi - lo);
    start += count;
    if (start >= end) break;
  }
}

bool SharedMemoryGradientReducer::all_marked(std::atomic<int64_t>* Part::*mark, size_t b) const {
  for (int q = 0; q < size_; ++q) {
    if (q != rank_ && (parts_[q].*mark)[b].load(std::memory_order_acquire) < iteration_) return false;
  }
  return true;
}

bool SharedMemoryGradientReducer::advance(size_t b) {
  Bucket& bucket = buckets_[b];
  Part& mine = parts_[rank_];
  if (!bucket.published) {
    for (int q = 0; q < size_; ++q) {
      if (q == rank_) continue;
      int64_t begin, end;
      slice(bucket, q, &begin, &end);
      for_each_piece(bucket, begin, end, [&](float* gradient, int64_t offset, int64_t count) {
        std::memcpy(mine.values + offset, gradient, count * sizeof(float));
      });
    }
    mine.published[b].store(iteration_, std::memory_order_release);
    bucket.published = true;
    return true;
  }
  if (!bucket.reduced) {
    if (!all_marked(&Part::published, b)) return false;
    int64_t begin, end;
    slice(bucket, rank_, &begin, &end);
    const float scale = 1.f / static_cast<float>(size_);
    for_each_piece(bucket, begin, end, [&](float* gradient, int64_t offset, int64_t count) {
      // The sum accumulates in this rank's own slice of its part (free until the result
      // goes there), adding the ranks in rank order so that the floats do not depend on
      // which rank sums.
      for (int64_t at = 0; at < count; at += kSumBlock) {
        const int64_t n = std::min(kSumBlock, count - at);
        float* sum = mine.values + offset + at;
        float* own = gradient + at;
        const float* first = rank_ == 0 ? own : parts_[0].values + offset + at;
        for (int64_t i = 0; i < n; ++i) sum[i] = first[i];
        for (int q = 1; q < size_; ++q) {
          const float* add = q == rank_ ? own : parts_[q].values + offset + at;
          for (int64_t i = 0; i < n; ++i) sum[i] += add[i];
        }
        for (int64_t i = 0; i < n; ++i) {
          sum[i] *= scale;
          own[i] = sum[i];
        }
      }
    });
    mine.reduced[b].store(iteration_, std::memory_order_release);
    bucket.reduced = true;
    return true;
  }
  if (!bucket.gathered) {
    if (!all_marked(&Part::reduced, b)) return false;
    for (int q = 0; q < size_; ++q) {
      if (q == rank_) continue;
      int64_t begin, end;
      slice(bucket, q, &begin, &end);
      for_each_piece(bucket, begin, end, [&](float* gradient, int64_t offset, int64_t count) {
        std::memcpy(gradient, parts_[q].values + offset, count * sizeof(float));
      });
    }
    bucket.gathered = true;
    return true;
  }
  return false;
}

void SharedMemoryGradientReducer::close_bucket() {
  CHECK_LT(open_, max_buckets_);
  if (overlap_) advance(open_);  // publishes it
  ++open_;
}

void SharedMemoryGradientReducer::on_gradient_ready(int param_id) {
  if (averaged_elsewhere_[param_id]) return;
  if (first_start_ < 0) first_start_ = now_seconds();
  const int64_t count = solver_->net().learnable_params()[param_id]->count();
  if (open_ == buckets_.size()) buckets_.emplace_back();
  if (count >= bucket_floats_ && !buckets_[open_].params.empty()) {
    // A bucket of its own: close the one being filled first.
    close_bucket();
    if (open_ == buckets_.size()) buckets_.emplace_back();
  }
  Bucket& bucket = buckets_[open_];
  bucket.params.push_back(param_id);
  bucket.count += count;
  if (bucket.count >= bucket_floats_) close_bucket();
  if (overlap_) {
    for (size_t b = 0; b < open_; ++b) advance(b);
  }
}

void SharedMemoryGradientReducer::on_gradients_ready() {
  const double backward_end = now_seconds();
  if (open_ < buckets_.size() && !buckets_[open_].params.empty()) close_bucket();
  int64_t floats = 0;
  for (size_t b = 0; b < open_; ++b) floats += buckets_[b].count;

  // What is left, run as the other ranks get there: spin first (the others are usually
  // close), then poll with short sleeps so that a long wait leaves the core to others.
  const double timeout = world_.collective_timeout();
  auto nap = std::chrono::microseconds(20);
  int idle_rounds = 0;
  for (;;) {
    bool progressed = false, done = true;
    for (size_t b = 0; b < open_; ++b) {
      progressed = advance(b) || progressed;
      done = done && buckets_[b].gathered;
    }
    if (done) break;
    if (progressed) {
      idle_rounds = 0;
      nap = std::chrono::microseconds(20);
      continue;
    }
    const double waited = now_seconds() - backward_end;
    if (timeout > 0 && waited > timeout) {
      std::ostringstream message;
      message << "no answer from the other ranks for " << waited
              << " s in the gradient reduction over shared memory (--collective_timeout=" << timeout
              << "): a rank has died or hangs; ending the job";
      world_.abort(message.str());
    }
    if (++idle_rounds > 2000) {
      std::this_thread::sleep_for(nap);
      nap = std::min(nap * 2, std::chrono::microseconds(1000));
    }
  }
  const double done_at = now_seconds();

  for (size_t b = 0; b < open_; ++b) buckets_[b] = Bucket();
  stats_.record(floats, static_cast<int>(open_), first_start_, backward_end, done_at);
  open_ = 0;
  first_start_ = -1;
  ++iteration_;
}

}  // namespace hwgq::parallel
