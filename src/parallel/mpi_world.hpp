// The processes of a data-parallel run, as MPI connects them: rank, size, and the few
// collectives hwgq needs, each waited for with a deadline. A rank that has died is
// normally noticed by the launcher (mpirun ends the job); a rank that hangs is not, so
// every wait here gives up after the collective timeout and aborts the whole job with a
// message instead of waiting for ever.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hwgq::parallel {

// Whether an MPI launcher (mpirun / mpiexec of Open MPI or MPICH, srun with PMI or PMIx)
// started this process: only then is MPI initialised, so a plain `hwgq train` needs none.
bool launched_by_mpi();

class MpiWorld {
 public:
  // Initialises MPI. `collective_timeout_s` bounds every wait for the other ranks
  // (0: wait for ever).
  explicit MpiWorld(double collective_timeout_s);
  ~MpiWorld();
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  double collective_timeout() const { return timeout_s_; }

  // Waits for `request`, driving MPI's progress meanwhile; past the timeout the job is
  // aborted with a message naming `what`.
  void wait(MPI_Request* request, const char* what) const;
  // Whether `request` has completed (drives progress; never blocks).
  static bool test(MPI_Request* request);

  void broadcast(void* data, int64_t bytes, int root, const char* what) const;
  void broadcast(std::string* bytes, int root, const char* what) const;
  void allreduce_sum(double* values, int count, const char* what) const;
  void allreduce_sum(float* values, int64_t count, const char* what) const;
  // True on every rank when `flag` is true on any.
  bool any(bool flag, const char* what) const;

  // Prints "hwgq: rank R: <message>" and ends every process of the job with status 1.
  [[noreturn]] void abort(const std::string& message) const;

 private:
  int rank_ = 0;
  int size_ = 1;
  double timeout_s_ = 0;
};

}  // namespace hwgq::parallel
