// Averages the GPU gradients of a data-parallel run over the ranks with NCCL (one GPU per
// rank), overlapped with backward. The NCCL communicator is bootstrapped over MPI (rank 0
// makes the unique id and broadcasts it). As each gradient becomes final it is copied, on
// the compute stream, into the open bucket (a device buffer); a full bucket is reduced
// (ncclAvg) on a stream of its own once the compute stream has reached it, so reductions
// run while backward computes the earlier layers. Before the update the last bucket is
// reduced, the compute stream waits for every reduction, and the averages are copied back
// into the gradients. The host waits for the reductions with the collective timeout: a
// rank that died or hangs aborts the communicator and ends the job.
//
// Only in builds with CUDA, MPI and NCCL (HWGQ_WITH_NCCL).
#pragma once

#include <cstdint>
#include <memory>

#include "hwgq/solver.hpp"
#include "mpi_world.hpp"

namespace hwgq::parallel {

class NcclGradientReducer {
 public:
  // Registers itself with `solver`'s gradient callbacks; the calling thread's current
  // device is the rank's GPU.
  NcclGradientReducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes);
  ~NcclGradientReducer();
  NcclGradientReducer(const NcclGradientReducer&) = delete;
  NcclGradientReducer& operator=(const NcclGradientReducer&) = delete;

  // Whether this build can reduce with NCCL.
  static bool available();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hwgq::parallel
