// Times data-parallel training iterations (forward, backward with the gradient allreduce,
// update) of a net whose inputs are Input layers filled once with random values, so data
// loading is not timed. Run it under mpirun; with one rank it times plain training.
//
//   mpirun -np 1 hwgq_bench_data_parallel --model=bench/nets/alexnet_hwgq.prototxt --batch=8 --threads=1
//   mpirun -np 2 hwgq_bench_data_parallel --model=bench/nets/alexnet_hwgq.prototxt --batch=8 --threads=1
//
// Rank 0 prints per repeat the milliseconds per iteration, images/s over all ranks and the
// CPU time per image (all threads of all ranks), then the medians, and (with several ranks) the gradient bytes, buckets, and per iteration the
// backward time after the first bucket was ready and the wait for reductions after it.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "data_parallel_setup.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/replica.hpp"
#include "factor_gradient_exchange.hpp"
#include "gradient_reducer.hpp"
#include "mpi_gradient_reducer.hpp"
#include "mpi_world.hpp"

DEFINE_string(model, "", "net prototxt with Input layers (the last input is taken as labels)");
DEFINE_int32(iterations, 10, "training iterations per repeat");
DEFINE_int32(repeats, 5, "repeats; the median is reported");
DEFINE_int32(threads, 1, "CPU threads per rank");
DEFINE_int32(batch, 0, "batch per rank (0 keeps the prototxt's)");
DEFINE_int32(classes, 1000, "labels are drawn from [0, classes)");
DEFINE_double(bucket_mb, 4, "gradient bucket size in MiB");
DEFINE_bool(overlap, true, "reduce buckets while backward runs (false: all after backward)");
DEFINE_string(reduction, "auto", "gradient reduction: auto, shared_memory or mpi");
DEFINE_string(fc_gradient_exchange, "auto", "fully connected weight gradients: auto, factors or gradients");

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv, /*thread_wait_policy=*/false);
  hwgq::parallel::MpiWorld world(600);
  try {
    hwgq::set_num_threads(FLAGS_threads);
    hwgq::set_this_replica(world.rank(), world.size());
    auto sgd = hwgq::bench::make_benchmark_solver(FLAGS_model, FLAGS_batch, 1 + world.rank());
    std::unique_ptr<hwgq::parallel::FactorGradientExchange> factors;
    std::unique_ptr<hwgq::parallel::GradientReducer> reducer;
    if (world.size() > 1) {
      factors = hwgq::parallel::FactorGradientExchange::create(
          world, sgd.get(), hwgq::parallel::parse_factor_exchange_mode(FLAGS_fc_gradient_exchange));
      reducer = hwgq::parallel::make_gradient_reducer(world, sgd.get(), static_cast<int64_t>(FLAGS_bucket_mb * (1 << 20)),
                                                      FLAGS_overlap, hwgq::parallel::parse_gradient_transport(FLAGS_reduction),
                                                      factors ? factors->handled() : std::vector<bool>());
      hwgq::parallel::broadcast_net(world, &sgd->net());
    }
    const int batch = hwgq::bench::fill_random_inputs(&sgd->net(), FLAGS_classes);

    sgd->step(2);  // warm-up
    hwgq::parallel::ReductionStats before = reducer ? reducer->stats() : hwgq::parallel::ReductionStats();
    const double factor_seconds_before = factors ? factors->seconds() : 0;
    std::vector<double> per_iter, cpu_per_image;
    for (int r = 0; r < FLAGS_repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      const std::clock_t cpu_start = std::clock();
      sgd->step(FLAGS_iterations);
      // The slowest rank sets the pace; CPU time (all threads of all ranks) shows the cost
      // of the work apart from how the machine's other load shares the cores out.
      double times[2] = {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                         double(std::clock() - cpu_start) / CLOCKS_PER_SEC};
      if (world.size() > 1) {
        MPI_Allreduce(MPI_IN_PLACE, &times[0], 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &times[1], 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      }
      const double ms = 1e3 * times[0] / FLAGS_iterations;
      const double images = double(batch) * world.size() * FLAGS_iterations;
      per_iter.push_back(ms);
      cpu_per_image.push_back(1e3 * times[1] / images);
      if (world.rank() == 0) {
        std::printf("repeat %d: %.1f ms/iter, %.2f images/s, %.1f CPU ms/image\n", r, ms,
                    1e3 * batch * world.size() / ms, cpu_per_image.back());
      }
    }
    std::sort(per_iter.begin(), per_iter.end());
    std::sort(cpu_per_image.begin(), cpu_per_image.end());
    const double median = per_iter[per_iter.size() / 2];
    if (world.rank() == 0) {
      std::printf("ranks %d, batch %d per rank, threads %d: median %.1f ms/iter, %.2f images/s, %.1f CPU ms/image\n",
                  world.size(), batch, FLAGS_threads, median, 1e3 * batch * world.size() / median,
                  cpu_per_image[cpu_per_image.size() / 2]);
      if (reducer) {
        const auto& stats = reducer->stats();
        const double iters = static_cast<double>(stats.iterations - before.iterations);
        std::printf("allreduce (%s): %.1f MiB in %d bucket(s) per iteration (overlap %s); per iteration %.1f ms of "
                    "backward after the first bucket, %.1f ms waited after backward\n",
                    reducer->name(), stats.bytes / double(1 << 20), stats.buckets, FLAGS_overlap ? "on" : "off",
                    1e3 * (stats.backward_seconds - before.backward_seconds) / iters,
                    1e3 * (stats.exposed_seconds - before.exposed_seconds) / iters);
        if (factors) {
          std::printf("factors of %s: %.2f MiB gathered per iteration, %.1f ms per iteration gathering and "
                      "computing their gradients\n",
                      factors->describe().c_str(), factors->floats_per_iteration() * 4.0 / (1 << 20),
                      1e3 * (factors->seconds() - factor_seconds_before) / iters);
        }
      }
    }
  } catch (const hwgq::Error& error) {
    world.abort(std::string("hwgq_bench_data_parallel: ") + error.what());
  }
  return 0;
}
