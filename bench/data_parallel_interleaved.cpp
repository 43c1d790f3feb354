// The scaling efficiency of data-parallel training measured within one job. Run under
// `mpirun -np N` (N >= 2); every rank builds the net twice: once as a data-parallel replica
// (gradients reduced across ranks as `hwgq train` does) and once as a plain local solver.
// Each round then times, seconds apart and in a rotating order:
//   1 rank          one rank trains its local solver alone while the others sleep in a
//                   barrier (the rank alternates from round to round, as cores differ);
//   N independent   every rank trains its local solver at once, unconnected: what the
//                   machine gives N single trainings, the ceiling for N ranks;
//   N ranks         every rank trains the data-parallel replica.
// Synchronous ranks move at the pace of the slowest, so the independent trainings' slowest
// rank is printed as well: N times its speed is what lockstep allows on this machine. The
// CPU time per image (all ranks) counts the work data parallelism adds (copies, reductions,
// spinning while waiting) but not time asleep waiting for a slower rank: 1 rank's over the
// N ranks' is the efficiency lockstep would have if every rank ran equally fast.
// On a shared machine whose speed drifts over minutes, separate processes started one
// after the other (bench/data_parallel_scaling.sh) see different machines; here the three
// measurements of a round see nearly the same one, so the ratios of a round are compared
// and their medians over rounds reported.
//
//   mpirun -np 2 hwgq_bench_data_parallel_interleaved --model=bench/nets/resnet18_hwgq.prototxt --batch=16
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "data_parallel_setup.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/replica.hpp"
#include "factor_gradient_exchange.hpp"
#include "gradient_reducer.hpp"
#include "mpi_gradient_reducer.hpp"
#include "mpi_world.hpp"

DEFINE_string(model, "", "net prototxt with Input layers (the last input is taken as labels)");
DEFINE_int32(rounds, 7, "rounds of the three measurements; medians over rounds are reported");
DEFINE_int32(iterations, 2, "timed training iterations per measurement (after one untimed)");
DEFINE_int32(threads, 1, "CPU threads per rank");
DEFINE_int32(batch, 0, "batch per rank (0 keeps the prototxt's)");
DEFINE_int32(classes, 1000, "labels are drawn from [0, classes)");
DEFINE_double(bucket_mb, 4, "gradient bucket size in MiB");
DEFINE_string(reduction, "auto", "gradient reduction: auto, shared_memory or mpi");
DEFINE_string(fc_gradient_exchange, "auto", "fully connected weight gradients: auto, factors or gradients");

namespace {

enum class Measurement { kOneRank, kIndependent, kRanks };

const char* name(Measurement m) {
  switch (m) {
    case Measurement::kOneRank: return "1 rank";
    case Measurement::kIndependent: return "independent";
    case Measurement::kRanks: return "ranks";
  }
  return "";
}

// A barrier whose waiting ranks sleep (MpiWorld::wait polls with naps), so that a rank
// waiting for the one training alone leaves its core idle.
void sleeping_barrier(const hwgq::parallel::MpiWorld& world) {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  world.wait(&request, "a benchmark barrier");
}

struct Timing {
  double wall = 0;  // seconds
  double cpu = 0;   // CPU seconds of this process
};

// What `solver` takes for `iterations` steps after one untimed step, started on every rank
// together.
Timing time_steps(const hwgq::parallel::MpiWorld& world, hwgq::Solver* solver, int iterations, bool together) {
  solver->step(1);  // the other solver ran last: this one's weights and buffers are cold
  if (together) sleeping_barrier(world);
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  solver->step(iterations);
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          double(std::clock() - cpu_start) / CLOCKS_PER_SEC};
}

double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(q * (values.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv, /*thread_wait_policy=*/false);
  hwgq::parallel::MpiWorld world(600);
  try {
    HWGQ_REQUIRE(world.size() >= 2, "run it under mpirun with at least 2 ranks (got " << world.size() << ")");
    HWGQ_REQUIRE(FLAGS_rounds >= 1 && FLAGS_iterations >= 1, "--rounds and --iterations must be positive");
    hwgq::set_num_threads(FLAGS_threads);
    hwgq::set_this_replica(world.rank(), world.size());
    const int ranks = world.size();
    auto replica = hwgq::bench::make_benchmark_solver(FLAGS_model, FLAGS_batch, 1 + world.rank());
    auto factors = hwgq::parallel::FactorGradientExchange::create(
        world, replica.get(), hwgq::parallel::parse_factor_exchange_mode(FLAGS_fc_gradient_exchange));
    auto reducer = hwgq::parallel::make_gradient_reducer(
        world, replica.get(), static_cast<int64_t>(FLAGS_bucket_mb * (1 << 20)), /*overlap=*/true,
        hwgq::parallel::parse_gradient_transport(FLAGS_reduction), factors ? factors->handled() : std::vector<bool>());
    hwgq::parallel::broadcast_net(world, &replica->net());
    const int batch = hwgq::bench::fill_random_inputs(&replica->net(), FLAGS_classes);
    auto local = hwgq::bench::make_benchmark_solver(FLAGS_model, FLAGS_batch, 1 + world.rank());
    hwgq::bench::fill_random_inputs(&local->net(), FLAGS_classes);
    const double images = double(batch) * FLAGS_iterations;

    if (world.rank() == 0) {
      std::printf("%d ranks x %d thread(s), batch %d per rank, %d timed iterations per measurement\n", ranks,
                  FLAGS_threads, batch, FLAGS_iterations);
    }
    std::vector<double> one_rank, independent, together, efficiency, ceiling, against_independent, against_slowest;
    std::vector<double> cpu_efficiency, cpu_ceiling;  // CPU time per image of 1 rank over that of the others
    for (int round = 0; round < FLAGS_rounds; ++round) {
      const int alone = round % ranks;
      Measurement order[3] = {Measurement::kOneRank, Measurement::kIndependent, Measurement::kRanks};
      std::rotate(order, order + round % 3, order + 3);
      double rate[3] = {0, 0, 0};          // images/s, indexed by Measurement
      double cpu_per_image[3] = {0, 0, 0};  // CPU ms of all ranks per image
      double slowest_independent = 0;       // images/s
      for (Measurement m : order) {
        sleeping_barrier(world);
        Timing timing;
        if (m == Measurement::kOneRank) {
          if (world.rank() == alone) timing = time_steps(world, local.get(), FLAGS_iterations, false);
        } else {
          timing = time_steps(world, (m == Measurement::kRanks ? replica : local).get(), FLAGS_iterations, true);
        }
        // Summed: images/s of the trainings timed on their own, and CPU seconds; max: seconds
        // of the slowest rank.
        double sums[2] = {m == Measurement::kRanks || timing.wall == 0 ? 0 : images / timing.wall, timing.cpu};
        double slowest = timing.wall;
        MPI_Allreduce(MPI_IN_PLACE, sums, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        const int index = static_cast<int>(m);
        rate[index] = m == Measurement::kRanks ? ranks * images / slowest : sums[0];
        cpu_per_image[index] = 1e3 * sums[1] / (images * (m == Measurement::kOneRank ? 1 : ranks));
        if (m == Measurement::kIndependent) slowest_independent = images / slowest;
      }
      one_rank.push_back(rate[0]);
      independent.push_back(rate[1]);
      together.push_back(rate[2]);
      efficiency.push_back(rate[2] / (ranks * rate[0]));
      ceiling.push_back(rate[1] / (ranks * rate[0]));
      against_independent.push_back(rate[2] / rate[1]);
      against_slowest.push_back(rate[2] / (ranks * slowest_independent));
      cpu_efficiency.push_back(cpu_per_image[0] / cpu_per_image[2]);
      cpu_ceiling.push_back(cpu_per_image[0] / cpu_per_image[1]);
      if (world.rank() == 0) {
        std::printf("round %d (order %s, %s, %s; 1 rank is rank %d): images/s 1 rank %.2f, %d independent %.2f "
                    "(slowest %.2f), %d ranks %.2f: efficiency %.1f %%, ceiling %.1f %%, ranks / independent %.1f %%, "
                    "ranks / %d x slowest independent %.1f %%\n",
                    round + 1, name(order[0]), name(order[1]), name(order[2]), alone, rate[0], ranks, rate[1],
                    slowest_independent, ranks, rate[2], 100 * efficiency.back(), 100 * ceiling.back(),
                    100 * against_independent.back(), ranks, 100 * against_slowest.back());
        std::printf("  CPU ms per image: 1 rank %.1f, independent %.1f, ranks %.1f\n", cpu_per_image[0],
                    cpu_per_image[1], cpu_per_image[2]);
      }
    }
    if (world.rank() == 0) {
      auto spread = [](const std::vector<double>& v) {
        char text[96];
        std::snprintf(text, sizeof text, "%.1f %% (middle half %.1f-%.1f %%)", 100 * quantile(v, 0.5),
                      100 * quantile(v, 0.25), 100 * quantile(v, 0.75));
        return std::string(text);
      };
      std::printf("medians of images/s over %d rounds: 1 rank %.2f, %d independent %.2f, %d ranks %.2f\n",
                  FLAGS_rounds, quantile(one_rank, 0.5), ranks, quantile(independent, 0.5), ranks,
                  quantile(together, 0.5));
      std::printf("scaling efficiency %s; ceiling %s; ranks / independent %s; ranks / %d x slowest independent %s\n",
                  spread(efficiency).c_str(), spread(ceiling).c_str(), spread(against_independent).c_str(), ranks,
                  spread(against_slowest).c_str());
      std::printf("CPU time per image, 1 rank over: ranks %s, independent %s\n", spread(cpu_efficiency).c_str(),
                  spread(cpu_ceiling).c_str());
      const auto& stats = reducer->stats();
      std::printf("reduction (%s): %.1f MiB in %d bucket(s) per iteration; %.1f ms waited after backward per "
                  "iteration%s%s\n",
                  reducer->name(), stats.bytes / double(1 << 20), stats.buckets,
                  1e3 * stats.exposed_seconds / std::max<double>(1, stats.iterations),
                  factors ? "; factors of " : "", factors ? factors->describe().c_str() : "");
    }
  } catch (const hwgq::Error& error) {
    world.abort(std::string("hwgq_bench_data_parallel_interleaved: ") + error.what());
  }
  return 0;
}
