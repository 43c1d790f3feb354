// Averages the gradients of ranks that all run on one machine through memory they share
// (an MPI-3 shared-memory window), instead of through MPI's allreduce, which copies every
// byte through its own buffers several times: a bucket of N ranks is cut into N slices,
// rank r adds up slice r of every rank's gradient and the others copy that sum.
//
// For a bucket, rank r:
//   1. publishes: copies the slices the others own from its gradient into its part of the
//      window, then raises its "published" mark for the bucket;
//   2. reduces, once every rank has published: slice r = the sum over the ranks in rank
//      order (its own values read from its gradient) times 1/N, written into its gradient
//      and into its part of the window; raises its "reduced" mark;
//   3. gathers, once every rank has reduced: copies every other rank's slice of the sum.
// Marks are iteration numbers in the window, stored with release and read with acquire
// ordering. A rank reuses its part of the window in the next iteration only after every
// other rank's marks show it has finished reading it (steps 2 and 3 wait for them), so no
// rank overwrites what another still reads. Each slice is summed once, so every rank ends
// with the same floats, and for 2 ranks with those of MPI's allreduce (a + b = b + a).
//
// Buckets are formed as by MpiGradientReducer (in the order backward finishes the
// gradients, about `bucket_bytes` each, a larger parameter alone). Steps that can run are
// run at every gradient callback without waiting, so the reduction proceeds while backward
// goes on; after backward the rest is waited for, within the collective timeout.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "gradient_reducer.hpp"

namespace hwgq::parallel {

class SharedMemoryGradientReducer : public GradientReducer {
 public:
  // Collective. Returns null on every rank when the ranks do not all share this machine or
  // when any rank could not allocate its part of the window (`why` then says which).
  // Parameters whose id is true in `averaged_elsewhere` are left alone (and get no room in
  // the window).
  static std::unique_ptr<SharedMemoryGradientReducer> create(const MpiWorld& world, Solver* solver,
                                                             int64_t bucket_bytes, bool overlap,
                                                             std::vector<bool> averaged_elsewhere, std::string* why);
  ~SharedMemoryGradientReducer() override;
  SharedMemoryGradientReducer(const SharedMemoryGradientReducer&) = delete;
  SharedMemoryGradientReducer& operator=(const SharedMemoryGradientReducer&) = delete;

  const ReductionStats& stats() const override { return stats_; }
  const char* name() const override { return "shared memory"; }

 private:
  struct Bucket {
    std::vector<int> params;  // ids, in the order backward finished them
    int64_t count = 0;        // floats over all of them
    bool published = false, reduced = false, gathered = false;
  };
  // One rank's part of the window: its marks, then a float per gradient value.
  struct Part {
    std::atomic<int64_t>* published;
    std::atomic<int64_t>* reduced;
    float* values;
  };

  SharedMemoryGradientReducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes, bool overlap,
                              std::vector<bool> averaged_elsewhere);

  void on_gradient_ready(int param_id);
  void on_gradients_ready();
  void close_bucket();
  // Runs whatever step of bucket `b` can run now; true if it ran one.
  bool advance(size_t b);
  // [begin, end) of rank q's slice of bucket b, counted in the bucket's floats.
  void slice(const Bucket& bucket, int q, int64_t* begin, int64_t* end) const;
  // Calls visit(gradient, window offset, count) for the pieces of [begin, end) of `bucket`
  // (a slice may span several parameters).
  template <typename Visit>
  void for_each_piece(const Bucket& bucket, int64_t begin, int64_t end, Visit visit);
  bool all_marked(std::atomic<int64_t>* Part::*mark, size_t b) const;

  const MpiWorld& world_;
  Solver* solver_;
  int64_t bucket_floats_;
  bool overlap_;
  std::vector<bool> averaged_elsewhere_;
  int rank_, size_;
  MPI_Comm node_ = MPI_COMM_NULL;
  MPI_Win window_ = MPI_WIN_NULL;
  std::vector<Part> parts_;                // every rank's, mapped into this process
  std::vector<int64_t> window_offset_;     // of each parameter's values in a part
  size_t max_buckets_ = 0;
  std::vector<Bucket> buckets_;
  size_t open_ = 0;  // the bucket being filled
  int64_t iteration_ = 1;
  double first_start_ = -1;
  ReductionStats stats_;
};

}  // namespace hwgq::parallel
