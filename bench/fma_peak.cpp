// The machine's limit for float training: the FP32 FMA peak of this CPU, and how far one
// training iteration of a net is from it.
//
//   hwgq_bench_peak                                     # the peak, 1 and N threads, per ISA
//   hwgq_bench_peak --model=bench/nets/alexnet_hwgq.prototxt --batch=16 --classes=1000
//   hwgq_bench_peak --model=bench/nets/alexnet_hwgq.prototxt --batch=16 --classes=1000 --time
//
// The peak: every thread runs many independent chains of vector FMAs on registers only
// (more chains than FMA latency x FMA units, so the units never wait on a result), once
// with 256-bit AVX2 FMAs and once with 512-bit AVX-512 FMAs where the CPU (cpuid) and the
// OS support them; the fastest is "the peak". GFLOP/s count an FMA as two operations.
//
// With --model: the arithmetic of one training iteration (count_training_arithmetic:
// forward, data gradient and weight gradient MACs of every convolution and inner product)
// and the time it takes at the peak of --threads threads. With --time also the measured
// time of whole iterations (as hwgq_bench: forward, backward, SGD update on random Input
// data) and of every dot-product layer's forward and backward (as `hwgq time`), each next
// to its time at the peak.
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "bench_setup.hpp"
#include "hwgq/analysis/training_arithmetic.hpp"
#include "hwgq/kernels/cpu_features.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/math/random.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"

DEFINE_int64(fma_iterations, 20000000, "loop trips per thread per peak measurement (each trip: one FMA per chain)");
DEFINE_int32(repeats, 7, "repeats of every measurement; the median is reported");
DEFINE_int32(threads, 0, "threads for the N-thread peak and the net (0 = library default: all cores)");
DEFINE_string(model, "", "net prototxt with Input layers (the last input is taken as labels)");
DEFINE_int32(batch, 0, "override the net's batch size");
DEFINE_int32(classes, 10, "labels are drawn from [0, classes)");
DEFINE_bool(time, false, "also time training iterations and every dot-product layer of --model");
DEFINE_int32(iterations, 10, "timed training iterations per repeat with --time");
DEFINE_string(backward_precision, "float32",
              "with --time: CPU backward passes of Convolution and BinaryConvolution layers, float32 or bf16 "
              "(SolverParameter backward_precision)");

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
using hwgq::bench::median;

// Written at the end so the chains' results are used and cannot be optimised away.
volatile float g_sink = 0.f;

// acc = acc * 0.999999 + 1e-6 converges to 1, so no chain overflows or turns denormal.
// 12 ymm accumulators (of 16 registers) cover 2 FMA units x 4-5 cycles of latency.
__attribute__((target("avx2,fma"))) void fma_chains_avx2(int64_t trips) {
  constexpr int kChains = 12;
  const __m256 scale = _mm256_set1_ps(0.999999f);
  const __m256 step = _mm256_set1_ps(1e-6f);
  __m256 a0 = _mm256_set1_ps(0.0f), a1 = _mm256_set1_ps(0.1f), a2 = _mm256_set1_ps(0.2f), a3 = _mm256_set1_ps(0.3f);
  __m256 a4 = _mm256_set1_ps(0.4f), a5 = _mm256_set1_ps(0.5f), a6 = _mm256_set1_ps(0.6f), a7 = _mm256_set1_ps(0.7f);
  __m256 a8 = _mm256_set1_ps(0.8f), a9 = _mm256_set1_ps(0.9f), a10 = _mm256_set1_ps(1.0f), a11 = _mm256_set1_ps(1.1f);
  static_assert(kChains == 12, "one accumulator per chain below");
  for (int64_t t = 0; t < trips; ++t) {
    a0 = _mm256_fmadd_ps(a0, scale, step);
    a1 = _mm256_fmadd_ps(a1, scale, step);
    a2 = _mm256_fmadd_ps(a2, scale, step);
    a3 = _mm256_fmadd_ps(a3, scale, step);
    a4 = _mm256_fmadd_ps(a4, scale, step);
    a5 = _mm256_fmadd_ps(a5, scale, step);
    a6 = _mm256_fmadd_ps(a6, scale, step);
    a7 = _mm256_fmadd_ps(a7, scale, step);
    a8 = _mm256_fmadd_ps(a8, scale, step);
    a9 = _mm256_fmadd_ps(a9, scale, step);
    a10 = _mm256_fmadd_ps(a10, scale, step);
    a11 = _mm256_fmadd_ps(a11, scale, step);
  }
  __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  g_sink = g_sink + lanes[0];
}

// 16 zmm accumulators (of 32 registers): room for CPUs with longer latency or more units.
__attribute__((target("avx512f"))) void fma_chains_avx512(int64_t trips) {
  const __m512 scale = _mm512_set1_ps(0.999999f);
  const __m512 step = _mm512_set1_ps(1e-6f);
  __m512 a0 = _mm512_set1_ps(0.0f), a1 = _mm512_set1_ps(0.1f), a2 = _mm512_set1_ps(0.2f), a3 = _mm512_set1_ps(0.3f);
  __m512 a4 = _mm512_set1_ps(0.4f), a5 = _mm512_set1_ps(0.5f), a6 = _mm512_set1_ps(0.6f), a7 = _mm512_set1_ps(0.7f);
  __m512 a8 = _mm512_set1_ps(0.8f), a9 = _mm512_set1_ps(0.9f), a10 = _mm512_set1_ps(1.0f), a11 = _mm512_set1_ps(1.1f);
  __m512 a12 = _mm512_set1_ps(1.2f), a13 = _mm512_set1_ps(1.3f), a14 = _mm512_set1_ps(1.4f), a15 = _mm512_set1_ps(1.5f);
  for (int64_t t = 0; t < trips; ++t) {
    a0 = _mm512_fmadd_ps(a0, scale, step);
    a1 = _mm512_fmadd_ps(a1, scale, step);
    a2 = _mm512_fmadd_ps(a2, scale, step);
    a3 = _mm512_fmadd_ps(a3, scale, step);
    a4 = _mm512_fmadd_ps(a4, scale, step);
    a5 = _mm512_fmadd_ps(a5, scale, step);
    a6 = _mm512_fmadd_ps(a6, scale, step);
    a7 = _mm512_fmadd_ps(a7, scale, step);
    a8 = _mm512_fmadd_ps(a8, scale, step);
    a9 = _mm512_fmadd_ps(a9, scale, step);
    a10 = _mm512_fmadd_ps(a10, scale, step);
    a11 = _mm512_fmadd_ps(a11, scale, step);
    a12 = _mm512_fmadd_ps(a12, scale, step);
    a13 = _mm512_fmadd_ps(a13, scale, step);
    a14 = _mm512_fmadd_ps(a14, scale, step);
    a15 = _mm512_fmadd_ps(a15, scale, step);
  }
  const __m512 sum = _mm512_add_ps(
      _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                    _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7))),
      _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                    _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  g_sink = g_sink + lanes[0];
}

struct FmaKernel {
  const char* name;
  void (*run)(int64_t trips);
  int64_t flops_per_trip;  // chains x lanes x 2
};

std::vector<FmaKernel> supported_kernels() {
  const auto& cpu = hwgq::kernels::cpu_features();
  std::vector<FmaKernel> kernels;
  if (cpu.avx2 && cpu.fma) kernels.push_back({"avx2 (ymm)", fma_chains_avx2, 12 * 8 * 2});
  if (cpu.avx512f) kernels.push_back({"avx512 (zmm)", fma_chains_avx512, 16 * 16 * 2});
  return kernels;
}

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

// CPU time of all threads of the process.
double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

struct PeakFigures {
  double gflops = 0;              // over the wall clock, all threads together
  double gflops_per_cpu_s = 0;    // per CPU-second a thread ran: one core's rate, even on a busy machine
};

// `threads` threads each running the kernel; medians of the repeats.
PeakFigures measure_peak(const FmaKernel& kernel, int threads) {
  const int64_t trips = FLAGS_fma_iterations;
  // Untimed: the thread team starts and the cores leave their idle clocks.
#pragma omp parallel num_threads(threads)
  kernel.run(trips / 10);
  std::vector<double> gflops, per_cpu_second;
  for (int r = 0; r < FLAGS_repeats; ++r) {
    std::vector<double> cpu(threads, 0.0);
    const auto start = Clock::now();
#pragma omp parallel num_threads(threads)
    {
      const double cpu_start = thread_cpu_seconds();
      kernel.run(trips);
      cpu[omp_get_thread_num()] = thread_cpu_seconds() - cpu_start;
    }
    const double seconds = seconds_since(start);
    const double flops = double(kernel.flops_per_trip) * double(trips) * threads;
    double cpu_total = 0;
    for (double c : cpu) cpu_total += c;
    gflops.push_back(flops / seconds / 1e9);
    per_cpu_second.push_back(flops / cpu_total / 1e9);
  }
  return {median(gflops), median(per_cpu_second)};
}

double ms(double seconds) { return seconds * 1e3; }

// One training net on random inputs, as hwgq_bench runs it.
std::unique_ptr<hwgq::Solver> make_training(const std::string& model) {
  hwgq::SolverParameter solver;
  hwgq::read_text_proto(model, solver.mutable_net_param());
  if (FLAGS_batch > 0) hwgq::set_batch_size(solver.mutable_net_param(), FLAGS_batch);
  hwgq::bench::set_benchmark_sgd(&solver);
  hwgq::bench::set_backward_precision(&solver, FLAGS_backward_precision);
  auto sgd = hwgq::create_solver(solver, model);
  auto& inputs = sgd->net().input_blobs();
  HWGQ_REQUIRE(!inputs.empty(), model << " has no Input layers; hwgq_bench_peak trains on random Input data");
  for (size_t i = 0; i + 1 < inputs.size(); ++i) {
    hwgq::rng_uniform(inputs[i]->count(), 0.f, 1.f, inputs[i]->mutable_cpu_data());
  }
  hwgq::Blob* labels = inputs.back();
  for (int i = 0; i < labels->count(); ++i) labels->mutable_cpu_data()[i] = i % FLAGS_classes;
  return sgd;
}

void report_net(double peak_gflops, int threads) {
  auto sgd = make_training(FLAGS_model);
  hwgq::Net& net = sgd->net();
  const hwgq::TrainingArithmetic arithmetic = hwgq::count_training_arithmetic(net);
  const double peak_flops = peak_gflops * 1e9;
  auto at_peak = [&](int64_t macs) { return 2.0 * double(macs) / peak_flops; };
  std::printf("\nnet \"%s\" (%s), batch %d: one training iteration\n", net.name().c_str(), FLAGS_model.c_str(),
              net.input_blobs()[0]->shape(0));
  std::printf("  forward MACs %lld, backward MACs %lld (data + weight gradients)\n",
              static_cast<long long>(arithmetic.forward_macs()), static_cast<long long>(arithmetic.backward_macs()));
  std::printf("  %.3f GFLOP per iteration; at the %d-thread peak (%.1f GFLOP/s): %.3f ms\n", arithmetic.flops() / 1e9,
              threads, peak_gflops, ms(at_peak(arithmetic.macs())));
  if (!FLAGS_time) return;

  auto iteration = [&] {
    net.clear_param_diffs();
    net.forward_backward();
    sgd->apply_update();
  };
  for (int i = 0; i < 2; ++i) iteration();  // untimed: buffers allocated, caches warm
  // Besides the wall clock, the process's CPU time divided by the threads: what the time
  // would be with every thread on its own core, which a busy machine does not distort (it
  // leaves out time threads spend asleep waiting for each other, so it can only flatter).
  std::vector<double> per_iteration, cpu_per_iteration;
  for (int r = 0; r < FLAGS_repeats; ++r) {
    const double cpu_start = process_cpu_seconds();
    const auto start = Clock::now();
    for (int i = 0; i < FLAGS_iterations; ++i) iteration();
    per_iteration.push_back(seconds_since(start) / FLAGS_iterations);
    cpu_per_iteration.push_back((process_cpu_seconds() - cpu_start) / threads / FLAGS_iterations);
  }
  const double measured = median(per_iteration);
  const double peak_time = at_peak(arithmetic.macs());
  std::printf("  measured %.3f ms per iteration (median of %d x %d) = %.2fx the peak time; %.1f GFLOP/s = %.1f %% of "
              "peak\n",
              ms(measured), FLAGS_repeats, FLAGS_iterations, measured / peak_time, arithmetic.flops() / measured / 1e9,
              100.0 * peak_time / measured);
  const double cpu_measured = median(cpu_per_iteration);
  std::printf("  CPU time / %d threads: %.3f ms per iteration = %.2fx the peak time\n", threads, ms(cpu_measured),
              cpu_measured / peak_time);

  // Per layer, as `hwgq time`: every layer's forward, then backward, timed one by one.
  const auto& layers = net.layers();
  const int n = static_cast<int>(layers.size());
  const int samples = FLAGS_repeats * FLAGS_iterations;
  std::vector<std::vector<double>> forward(n), backward(n), forward_cpu(n), backward_cpu(n);
  for (int it = 0; it < samples; ++it) {
    for (int i = 0; i < n; ++i) {
      const double cpu_start = process_cpu_seconds();
      const auto start = Clock::now();
      layers[i]->forward(net.bottom_vecs(i), net.top_vecs(i));
      forward[i].push_back(seconds_since(start));
      forward_cpu[i].push_back((process_cpu_seconds() - cpu_start) / threads);
    }
    for (int i = n - 1; i >= 0; --i) {
      if (!net.layer_needs_backward(i)) continue;
      const double cpu_start = process_cpu_seconds();
      const auto start = Clock::now();
      layers[i]->backward(net.top_vecs(i), net.bottom_need_backward(i), net.bottom_vecs(i));
      backward[i].push_back(seconds_since(start));
      backward_cpu[i].push_back((process_cpu_seconds() - cpu_start) / threads);
    }
  }
  std::printf("\n  per dot-product layer (median of %d passes; \"x peak\" = measured / time at peak; \"cpu x\" = "
              "CPU time / threads / time at peak):\n",
              samples);
  std::printf("  %-14s %-20s %10s %9s %9s %7s %7s %10s %9s %9s %7s %7s\n", "layer", "type", "fwd MMAC", "fwd ms",
              "peak ms", "x peak", "cpu x", "bwd MMAC", "bwd ms", "peak ms", "x peak", "cpu x");
  double dot_measured = 0, dot_peak = 0, all_layers = 0;
  for (int i = 0; i < n; ++i) {
    all_layers += median(forward[i]) + (backward[i].empty() ? 0.0 : median(backward[i]));
  }
  for (const auto& layer : arithmetic.layers) {
    const double fwd = median(forward[layer.layer]);
    const double bwd = backward[layer.layer].empty() ? 0.0 : median(backward[layer.layer]);
    const double fwd_cpu = median(forward_cpu[layer.layer]);
    const double bwd_cpu = backward_cpu[layer.layer].empty() ? 0.0 : median(backward_cpu[layer.layer]);
    const double fwd_peak = at_peak(layer.forward_macs), bwd_peak = at_peak(layer.backward_macs());
    dot_measured += fwd + bwd;
    dot_peak += fwd_peak + bwd_peak;
    std::printf("  %-14s %-20s %10.1f %9.3f %9.3f %7.2f %7.2f %10.1f %9.3f %9.3f %7.2f %7.2f\n", layer.name.c_str(),
                layer.type.c_str(), layer.forward_macs / 1e6, ms(fwd), ms(fwd_peak), fwd / fwd_peak, fwd_cpu / fwd_peak,
                layer.backward_macs() / 1e6, ms(bwd), ms(bwd_peak), bwd_peak > 0 ? bwd / bwd_peak : 0.0,
                bwd_peak > 0 ? bwd_cpu / bwd_peak : 0.0);
  }
  std::printf("  dot-product layers: %.3f ms measured, %.3f ms at peak (%.2fx); all layers %.3f ms, the rest "
              "%.3f ms\n",
              ms(dot_measured), ms(dot_peak), dot_measured / dot_peak, ms(all_layers), ms(all_layers - dot_measured));

  // Outside the layers: zeroing the gradients before an iteration and the solver's update
  // after it, both streams over every learnable parameter.
  int64_t params = 0;
  for (const hwgq::Blob* blob : net.learnable_params()) params += blob->count();
  std::vector<double> clear, update;
  for (int it = 0; it < samples; ++it) {
    clear.push_back(hwgq::bench::wall_ms([&] { net.clear_param_diffs(); }));
    update.push_back(hwgq::bench::wall_ms([&] { sgd->apply_update(); }));
  }
  std::printf("  %lld learnable values (%.1f MiB): clearing the gradients %.3f ms, the SGD update %.3f ms (median of "
              "%d)\n",
              static_cast<long long>(params), params * 4.0 / (1 << 20), median(clear), median(update), samples);
}

}  // namespace

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv);
  try {
    HWGQ_REQUIRE(FLAGS_repeats > 0, "--repeats must be positive, got " << FLAGS_repeats);
    HWGQ_REQUIRE(FLAGS_iterations > 0, "--iterations must be positive, got " << FLAGS_iterations);
    HWGQ_REQUIRE(FLAGS_fma_iterations > 0, "--fma_iterations must be positive, got " << FLAGS_fma_iterations);
    HWGQ_REQUIRE(FLAGS_threads >= 0, "--threads must be >= 0, got " << FLAGS_threads);
    HWGQ_REQUIRE(FLAGS_time ? !FLAGS_model.empty() : true, "--time needs --model");
    hwgq::set_num_threads(FLAGS_threads);
    const int threads = hwgq::num_threads();
    std::printf("cpu: %s\n", hwgq::kernels::cpu_feature_string().c_str());
    std::printf("FP32 FMA peak, GFLOP/s (median of %d), %lld FMAs per chain:\n", FLAGS_repeats,
                static_cast<long long>(FLAGS_fma_iterations));
    const auto kernels = supported_kernels();
    HWGQ_REQUIRE(!kernels.empty(), "this CPU has neither AVX2+FMA nor AVX-512: no vector FMA peak to measure");
    std::vector<int> thread_counts = {1};
    if (threads > 1) thread_counts.push_back(threads);
    double peak_1 = 0, peak_n = 0;
    for (const auto& kernel : kernels) {
      for (int t : thread_counts) {
        const PeakFigures figures = measure_peak(kernel, t);
        const double gflops = figures.gflops;
        std::printf("  %-13s %2d thread(s): %8.1f GFLOP/s (%.1f per thread); %.1f GFLOP per CPU-second of a thread\n",
                    kernel.name, t, gflops, gflops / t, figures.gflops_per_cpu_s);
        // The limit: what t threads do when each has its core to itself (per CPU-second of a
        // thread, times t); on a quiet machine that is the wall-clock rate, on a busy one the
        // wall clock also counts other programs' turns.
        if (t == 1) peak_1 = std::max(peak_1, figures.gflops_per_cpu_s);
        if (t == threads) peak_n = std::max(peak_n, figures.gflops_per_cpu_s * t);
      }
    }
    std::printf("peak (per CPU-second x threads): %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d thread(s)\n", peak_1,
                peak_n, threads);
    if (!FLAGS_model.empty()) report_net(peak_n, threads);
  } catch (const hwgq::Error& error) {
    std::fprintf(stderr, "hwgq_bench_peak: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
