// What averages a data-parallel run's CPU gradients over the ranks, and the choice between
// the two ways hwgq has: MPI's own allreduce (any ranks, one machine or many), and a
// reduction through memory the ranks share (all ranks on one machine; no copies through
// MPI's buffers). Both register with the solver's gradient callbacks, bucket the gradients
// in the order backward finishes them and reduce while backward goes on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hwgq/solver.hpp"
#include "mpi_world.hpp"

namespace hwgq::parallel {

// Time spent per iteration, for benchmarks and the log.
struct ReductionStats {
  int64_t iterations = 0;
  int64_t bytes = 0;            // gradient bytes reduced per iteration
  int buckets = 0;              // buckets per iteration
  double backward_seconds = 0;  // from the first bucket's start to the end of backward, summed
  double exposed_seconds = 0;   // waiting for reductions after backward, summed

  // One iteration that reduced `floats` in `bucket_count` buckets: the first bucket started
  // at `first_start` (negative: no gradient was reported), backward ended at `backward_end`
  // and the last reduction at `done` (seconds).
  void record(int64_t floats, int bucket_count, double first_start, double backward_end, double done) {
    ++iterations;
    bytes = floats * static_cast<int64_t>(sizeof(float));
    buckets = bucket_count;
    if (first_start >= 0) backward_seconds += backward_end - first_start;
    exposed_seconds += done - backward_end;
  }
};

class GradientReducer {
 public:
  virtual ~GradientReducer() = default;
  virtual const ReductionStats& stats() const = 0;
  // "MPI allreduce" or "shared memory", for the log.
  virtual const char* name() const = 0;
};

enum class GradientTransport { Auto, SharedMemory, Mpi };

// "auto", "shared_memory" or "mpi"; anything else is a hwgq::Error naming the choices.
GradientTransport parse_gradient_transport(const std::string& text);

// Collective: every rank calls it with the same arguments. Auto takes shared memory when
// every rank runs on this machine and the shared buffers can be allocated, MPI otherwise;
// SharedMemory is an error when the ranks span machines or the allocation fails.
// Parameters whose id is true in `averaged_elsewhere` (FactorGradientExchange::handled)
// are left alone.
std::unique_ptr<GradientReducer> make_gradient_reducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes,
                                                       bool overlap, GradientTransport transport,
                                                       const std::vector<bool>& averaged_elsewhere = {});

}  // namespace hwgq::parallel
