// Averages the gradients of a data-parallel run over the ranks with MPI, overlapped with
// backward: parameters are packed into buckets of about `bucket_bytes` in the order their
// gradients become final (last layer first; a parameter of a bucket's size or more is a
// bucket of its own, reduced in place), and each full bucket's MPI_Iallreduce starts
// at once while backward goes on through the earlier layers. MPI makes progress only
// inside MPI calls, so every gradient-ready callback also tests the reductions in flight.
// Just before the update the last (partial) bucket is reduced, every bucket is waited
// for and copied back divided by the number of ranks.
//
// Every rank builds the same buckets, since the net and the order of the callbacks are
// the same everywhere: MPI needs the collectives in the same order on every rank.
#pragma once

#include <cstdint>
#include <vector>

#include "gradient_reducer.hpp"

namespace hwgq::parallel {

class MpiGradientReducer : public GradientReducer {
 public:
  // Registers itself with `solver`'s gradient callbacks. With `overlap` false every bucket
  // is reduced after backward, blocking (the baseline that shows what overlapping saves).
  // Parameters whose id is true in `averaged_elsewhere` are left alone.
  MpiGradientReducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes, bool overlap = true,
                     std::vector<bool> averaged_elsewhere = {});
  MpiGradientReducer(const MpiGradientReducer&) = delete;
  MpiGradientReducer& operator=(const MpiGradientReducer&) = delete;

  const ReductionStats& stats() const override { return stats_; }
  const char* name() const override { return "MPI allreduce"; }

 private:
  struct Bucket {
    std::vector<float> values;
    // A parameter at least as large as a bucket is reduced in place, in its own gradient
    // buffer, instead of being copied into `values` and back.
    float* in_place = nullptr;
    int64_t in_place_count = 0;
    std::vector<int> params;  // ids, in packing order
    MPI_Request request = MPI_REQUEST_NULL;
    bool in_flight = false;
  };

  void on_gradient_ready(int param_id);
  void on_gradients_ready();
  void start(Bucket* bucket);
  void progress();

  const MpiWorld& world_;
  Solver* solver_;
  int64_t bucket_floats_;
  bool overlap_;
  std::vector<bool> averaged_elsewhere_;
  // This iteration's buckets; buffers are reused from iteration to iteration.
  std::vector<Bucket> buckets_;
  size_t open_ = 0;  // index of the bucket being filled
  double first_start_ = -1;
  ReductionStats stats_;
};

// Rank `root`'s values of every blob of every layer of `net` (weights and statistics such
// as BatchNorm's), sent to all ranks.
void broadcast_net(const MpiWorld& world, Net* net, int root = 0);
// Rank `root`'s solver history (momentum and the like), sent to all ranks.
void broadcast_history(const MpiWorld& world, Solver* solver, int root = 0);

}  // namespace hwgq::parallel
