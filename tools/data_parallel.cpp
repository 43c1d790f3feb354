#include "data_parallel.hpp"

#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstdlib>
#include <iostream>
#include <random>

#include "hwgq/cross_replica_sum.hpp"
#include "hwgq/replica.hpp"

#ifdef HWGQ_WITH_MPI
#include "factor_gradient_exchange.hpp"
#include "gradient_reducer.hpp"
#include "mpi_gradient_reducer.hpp"
#include "mpi_world.hpp"
#include "nccl_gradient_reducer.hpp"
#endif

DEFINE_double(collective_timeout, 300,
              "train, test under mpirun: seconds a rank waits for the others in a collective (gradient "
              "allreduce, broadcast) before it ends the job as hung; 0 waits for ever");
DEFINE_double(gradient_bucket_mb, 4,
              "train under mpirun: gradients are averaged in buckets of about this many MiB, each reduced "
              "while backward goes on");
DEFINE_bool(overlap_allreduce, true,
            "train under mpirun: reduce gradient buckets while backward runs (false: all after backward)");
DEFINE_string(gradient_reduction, "auto",
              "train under mpirun, CPU gradients: shared_memory (all ranks on one machine add each other's "
              "gradients in memory they share), mpi (MPI's allreduce), or auto (shared_memory where every rank "
              "runs on this machine, mpi otherwise)");
DEFINE_string(fc_gradient_exchange, "auto",
              "train under mpirun, CPU: how the weight gradients of fully connected layers are averaged: "
              "factors (the ranks gather each layer's inputs and top gradients and every rank computes the "
              "whole batch's gradient; for iter_size 1), gradients (reduced like the others), or auto "
              "(factors for the layers where they are at most 1/16 of the gradient's size)");

namespace hwgq::cli {

namespace {

void validate_parallel_flags() {
  HWGQ_REQUIRE(FLAGS_collective_timeout >= 0,
               "--collective_timeout must not be negative (0 waits for ever), got " << FLAGS_collective_timeout);
  HWGQ_REQUIRE(FLAGS_gradient_bucket_mb > 0, "--gradient_bucket_mb must be positive, got " << FLAGS_gradient_bucket_mb);
#ifdef HWGQ_WITH_MPI
  parallel::parse_gradient_transport(FLAGS_gradient_reduction);
  parallel::parse_factor_exchange_mode(FLAGS_fc_gradient_exchange);
#endif
}

}  // namespace

#ifdef HWGQ_WITH_MPI

struct DataParallelRun::Mpi {
  explicit Mpi(double timeout) : world(timeout) {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
  }
  parallel::MpiWorld world;
  int local_rank = 0;
  std::unique_ptr<parallel::FactorGradientExchange> factors;
  std::unique_ptr<parallel::GradientReducer> reducer;
  std::unique_ptr<parallel::NcclGradientReducer> nccl_reducer;
};

DataParallelRun::DataParallelRun() {
  validate_parallel_flags();
  if (!parallel::launched_by_mpi()) return;
  mpi_ = std::make_unique<Mpi>(FLAGS_collective_timeout);
  rank_ = mpi_->world.rank();
  size_ = mpi_->world.size();
  set_this_replica(rank_, size_);
  // One log for the job: the other ranks still report warnings and errors.
  if (rank_ > 0) FLAGS_minloglevel = google::GLOG_WARNING;
  LOG(INFO) << "Data-parallel run: " << size_ << " rank(s); this is rank " << rank_;
}

// MPI ends with mpi_: no layer may sum over the ranks afterwards.
DataParallelRun::~DataParallelRun() { set_cross_replica_sum(nullptr); }

int DataParallelRun::local_gpu(int requested) const {
  return mpi_ ? requested + mpi_->local_rank : requested;
}

void DataParallelRun::agree_on_seed(SolverParameter* param) const {
  if (!active()) return;
  int64_t seed = param->random_seed();
  if (rank_ == 0 && seed < 0) seed = static_cast<int64_t>(std::random_device{}() & 0x7fffffff);
  mpi_->world.broadcast(&seed, sizeof(seed), 0, "the broadcast of the random seed");
  param->set_random_seed(seed);
}

void DataParallelRun::attach(Solver* solver, std::function<bool()> stop_requested,
                             std::function<bool()> snapshot_requested) {
  if (!active()) return;
  const parallel::MpiWorld& world = mpi_->world;
  solver->set_primary(rank_ == 0);
  solver->set_test_output_reducer([this](std::vector<double>* means) { average(means); });
  // Test nets share the train net's layers: rank 0's BatchNorm statistics make every rank
  // test the net that rank 0 snapshots.
  solver->set_before_test([&world, solver] { parallel::broadcast_net(world, &solver->net()); });
  solver->set_stop_request(
      [&world, stop_requested] { return world.any(stop_requested(), "the agreement on a stop request"); });
  solver->set_snapshot_request([&world, snapshot_requested] {
    return world.any(snapshot_requested(), "the agreement on a snapshot request");
  });
  const auto bucket_bytes = static_cast<int64_t>(FLAGS_gradient_bucket_mb * (1 << 20));
  if (Context::get().mode() == Mode::GPU && parallel::NcclGradientReducer::available()) {
    mpi_->nccl_reducer = std::make_unique<parallel::NcclGradientReducer>(world, solver, bucket_bytes);
  } else {
    // Created first: its gradient callback runs before the reducer's.
    mpi_->factors = parallel::FactorGradientExchange::create(
        world, solver, parallel::parse_factor_exchange_mode(FLAGS_fc_gradient_exchange));
    const std::vector<bool> by_factors = mpi_->factors ? mpi_->factors->handled() : std::vector<bool>();
    if (mpi_->factors) {
      LOG(INFO) << "Weight gradients averaged by gathering their factors (inputs and top gradients): "
                << mpi_->factors->describe() << "; " << mpi_->factors->floats_per_iteration() * sizeof(float)
                << " bytes gathered per iteration";
    }
    mpi_->reducer = parallel::make_gradient_reducer(world, solver, bucket_bytes, FLAGS_overlap_allreduce,
                                                    parallel::parse_gradient_transport(FLAGS_gradient_reduction),
                                                    by_factors);
    LOG(INFO) << "Gradients averaged over " << mpi_->reducer->name();
  }
  parallel::broadcast_net(world, &solver->net());
  // Synchronized BatchNorm layers sum their per-channel statistics over the ranks here.
  // Training only: every rank runs the same passes, so the sums pair up.
  const parallel::MpiWorld* mpi_world = &world;
  set_cross_replica_sum([mpi_world](double* values, int count) {
    mpi_world->allreduce_sum(values, count, "the reduction of synchronized BatchNorm statistics");
  });
}

void DataParallelRun::after_restore(Solver* solver) const {
  if (!active()) return;
  parallel::broadcast_net(mpi_->world, &solver->net());
  parallel::broadcast_history(mpi_->world, solver);
}

void DataParallelRun::average(std::vector<double>* means) const {
  if (!active() || means->empty()) return;
  mpi_->world.allreduce_sum(means->data(), static_cast<int>(means->size()), "the reduction of the test outputs");
  for (double& mean : *means) mean /= size_;
}

void DataParallelRun::log_reduction_stats() const {
  if (!mpi_ || !mpi_->reducer) return;
  const parallel::ReductionStats& stats = mpi_->reducer->stats();
  if (stats.iterations == 0) return;
  LOG(INFO) << "Gradient reduction (" << mpi_->reducer->name() << "): " << stats.bytes << " bytes in " << stats.buckets << " bucket(s) per iteration; "
            << 1e3 * stats.backward_seconds / stats.iterations << " ms of backward overlapped, "
            << 1e3 * stats.exposed_seconds / stats.iterations << " ms waited for after backward (means over "
            << stats.iterations << " iterations)";
  if (mpi_->factors) {
    LOG(INFO) << "Fully connected weight gradients from factors: " << mpi_->factors->floats_per_iteration() * sizeof(float)
              << " bytes gathered per iteration; " << 1e3 * mpi_->factors->seconds() / stats.iterations
              << " ms per iteration gathering them (including waiting for the other ranks) and computing the "
                 "gradients";
  }
}

void DataParallelRun::fail(const std::string& verb, const std::string& message) const {
  mpi_->world.abort(verb + ": " + message);
}

#else  // without MPI

struct DataParallelRun::Mpi {};

namespace {

// The number of processes the launcher says it started, or 0 where no launcher says so.
int launcher_size() {
  // Not SLURM_NTASKS: a batch script runs single processes under a multi-task allocation.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 0;
}

}  // namespace

DataParallelRun::DataParallelRun() {
  validate_parallel_flags();
  HWGQ_REQUIRE(launcher_size() <= 1, "started as one of " << launcher_size()
                                                         << " processes, but this hwgq was built without MPI "
                                                            "(install libopenmpi-dev and rebuild)");
}
DataParallelRun::~DataParallelRun() = default;
int DataParallelRun::local_gpu(int requested) const { return requested; }
void DataParallelRun::agree_on_seed(SolverParameter*) const {}
void DataParallelRun::attach(Solver*, std::function<bool()>, std::function<bool()>) {}
void DataParallelRun::after_restore(Solver*) const {}
void DataParallelRun::average(std::vector<double>*) const {}
void DataParallelRun::log_reduction_stats() const {}
void DataParallelRun::fail(const std::string& verb, const std::string& message) const {
  std::cerr << "hwgq " << verb << ": error: " << message << std::endl;
  std::exit(1);
}

#endif

}  // namespace hwgq::cli
