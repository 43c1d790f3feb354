// What one gradient allreduce costs on this machine, apart from training: float sums over
// all ranks of 1 MiB to 238 MiB (ResNet-18-HWGQ's 44.6 MiB and AlexNet-HWGQ's 238 MiB of
// gradients among them), split into buckets reduced with MPI_Iallreduce and waited for
// together, as the trainer reduces them when overlap is off.
//
//   mpirun -np 2 hwgq_bench_allreduce [--sizes_mib=1,4,16,44.6,64,238] [--bucket_mb=4] [--repeats=5]
//
// Rank 0 prints per size the median wall and CPU milliseconds of one allreduce on a rank,
// the algorithm bandwidth (bytes / time) and the bus bandwidth (2 (N - 1) / N x bytes /
// time, the traffic each rank's link carries in a ring allreduce), which the projections
// in docs/benchmarks.md use.
#include <gflags/gflags.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "bench_setup.hpp"

DEFINE_string(sizes_mib, "1,4,16,44.6,64,238", "comma-separated sizes in MiB");
DEFINE_double(bucket_mb, 4, "bucket size in MiB (0: one allreduce of the whole size)");
DEFINE_int32(repeats, 5, "repeats per size; the median is reported");

namespace {

using hwgq::bench::median;

std::vector<double> parse_sizes(const std::string& text) {
  std::vector<double> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) sizes.push_back(std::stod(item));
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  std::vector<double> sizes;
  try {
    sizes = parse_sizes(FLAGS_sizes_mib);
  } catch (const std::exception&) {
    if (rank == 0) std::fprintf(stderr, "--sizes_mib: expected numbers separated by commas, got %s\n",
                                FLAGS_sizes_mib.c_str());
    MPI_Finalize();
    return 1;
  }
  if (sizes.empty() || FLAGS_repeats < 1 || FLAGS_bucket_mb < 0 ||
      std::any_of(sizes.begin(), sizes.end(), [](double s) { return !(s > 0); })) {
    if (rank == 0) std::fprintf(stderr, "need positive sizes, repeats >= 1 and bucket_mb >= 0\n");
    MPI_Finalize();
    return 1;
  }
  const size_t bucket = FLAGS_bucket_mb > 0 ? static_cast<size_t>(FLAGS_bucket_mb * (1 << 20) / 4) : 0;
  if (rank == 0) {
    std::printf("%d ranks, buckets of %s\n", ranks,
                bucket ? (std::to_string(FLAGS_bucket_mb) + " MiB").c_str() : "the whole size");
    std::printf("%10s %12s %12s %14s %14s\n", "MiB", "wall ms", "CPU ms", "algo GB/s", "bus GB/s");
  }
  for (double mib : sizes) {
    const size_t n = static_cast<size_t>(mib * (1 << 20) / 4);
    std::vector<float> values(n, 1.f);
    const size_t step = bucket ? bucket : n;
    std::vector<double> wall, cpu;
    for (int r = 0; r <= FLAGS_repeats; ++r) {  // the first round warms up
      MPI_Barrier(MPI_COMM_WORLD);
      const auto start = std::chrono::steady_clock::now();
      const std::clock_t cpu_start = std::clock();
      std::vector<MPI_Request> requests;
      for (size_t offset = 0; offset < n; offset += step) {
        requests.emplace_back();
        MPI_Iallreduce(MPI_IN_PLACE, values.data() + offset, static_cast<int>(std::min(step, n - offset)), MPI_FLOAT,
                       MPI_SUM, MPI_COMM_WORLD, &requests.back());
      }
      MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (r > 0) {
        wall.push_back(ms);
        cpu.push_back((std::clock() - cpu_start) * 1000.0 / CLOCKS_PER_SEC);
      }
    }
    const double ms = median(wall);
    const double bytes = 4.0 * n;
    if (rank == 0) {
      std::printf("%10.1f %12.2f %12.2f %14.2f %14.2f\n", mib, ms, median(cpu), bytes / ms / 1e6,
                  2.0 * (ranks - 1) / ranks * bytes / ms / 1e6);
    }
  }
  MPI_Finalize();
  return 0;
}
