// The CLI's side of data-parallel runs (docs/distributed.md). Under an MPI launcher
// (`mpirun -np N hwgq train ...`) each process is one replica: MPI is initialised, the
// run context learns the replica's place (data layers then read their share), only rank 0
// logs at INFO and writes snapshots and results, gradients are averaged over the ranks
// every iteration, and a rank's error ends the whole job. Started without a launcher the
// tool runs alone, exactly as it always did.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hwgq/solver.hpp"

namespace hwgq::cli {

class DataParallelRun {
 public:
  // Joins the job when an MPI launcher started the process; raises hwgq::Error when one
  // did with several processes but this build has no MPI.
  DataParallelRun();
  ~DataParallelRun();
  DataParallelRun(const DataParallelRun&) = delete;
  DataParallelRun& operator=(const DataParallelRun&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // More than one process: everything below does something.
  bool active() const { return size_ > 1; }

  // GPU to use: `requested` (--gpu) plus this process's place among the ranks of its
  // machine, so that `mpirun -np 8 hwgq train --gpu=0` puts one rank on each of 8 GPUs.
  int local_gpu(int requested) const;
  // Makes every rank use rank 0's random_seed (drawing one there when it is unset), so
  // that data orders and random transforms agree.
  void agree_on_seed(SolverParameter* param) const;
  // Wires `solver` for data-parallel training: gradient averaging, test outputs averaged
  // over the ranks, snapshots written by rank 0 alone, stop and snapshot requests honoured
  // by all ranks at the same iteration once any rank has one. Then sends rank 0's weights
  // to every rank.
  void attach(Solver* solver, std::function<bool()> stop_requested, std::function<bool()> snapshot_requested);
  // After every rank restored the same .solverstate: rank 0's weights and history again.
  void after_restore(Solver* solver) const;
  // Replaces per-rank means by the means over all ranks.
  void average(std::vector<double>* means) const;
  // Logs how much time gradient reduction took per iteration.
  void log_reduction_stats() const;
  // Ends every process of the job after printing "hwgq: rank R: error: <verb>: <message>".
  [[noreturn]] void fail(const std::string& verb, const std::string& message) const;

 private:
  struct Mpi;
  std::unique_ptr<Mpi> mpi_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace hwgq::cli
