// The SGD update of one large parameter array: the one-pass sgd_momentum_step against the
// separate passes it replaces (weight decay axpy, momentum axpby, copy of the step,
// data -= step), alternating, median of --repeats each.
//
//   hwgq_bench_sgd_step                       # 62.4 M values: AlexNet-HWGQ's parameters
//   hwgq_bench_sgd_step --values=11200000 --threads=1
#include <cstdio>
#include <vector>

#include "bench_setup.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/math/random.hpp"
#include "hwgq/math/sgd_step.hpp"

DEFINE_int64(values, 62387919, "values in the parameter array");
DEFINE_int32(repeats, 7, "timings of each way; the median is reported");
DEFINE_int32(threads, 0, "threads (0 = library default: all cores)");

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv);
  try {
    HWGQ_REQUIRE(FLAGS_values > 0 && FLAGS_values <= (int64_t(1) << 31) - 1,
                 "--values must be in [1, 2^31 - 1], got " << FLAGS_values);
    HWGQ_REQUIRE(FLAGS_repeats > 0, "--repeats must be positive, got " << FLAGS_repeats);
    hwgq::set_num_threads(FLAGS_threads);
    const int n = static_cast<int>(FLAGS_values);
    std::vector<float> data(n), diff(n), history(n);
    hwgq::rng_gaussian(n, 0.f, 0.01f, data.data());
    hwgq::rng_gaussian(n, 0.f, 1e-3f, history.data());
    const float rate = 1e-3f, momentum = 0.9f, decay = 5e-4f;
    // Each timing starts from a fresh gradient, as an iteration does; its writing is not timed.
    auto fresh_gradient = [&] { hwgq::rng_gaussian(n, 0.f, 1e-3f, diff.data()); };
    std::vector<double> fused, separate;
    for (int r = 0; r < FLAGS_repeats; ++r) {
      fresh_gradient();
      fused.push_back(hwgq::bench::wall_ms([&] {
        hwgq::sgd_momentum_step(n, rate, momentum, decay, 1.f, data.data(), diff.data(), history.data());
      }));
      fresh_gradient();
      separate.push_back(hwgq::bench::wall_ms([&] {
        hwgq::axpy(n, decay, data.data(), diff.data());
        hwgq::axpby(n, rate, diff.data(), momentum, history.data());
        hwgq::copy(n, history.data(), diff.data());
        hwgq::axpy(n, -1.f, diff.data(), data.data());
      }));
    }
    const double one = hwgq::bench::median(fused), four = hwgq::bench::median(separate);
    const double mib = n * 4.0 / (1 << 20);
    std::printf("%d values (%.1f MiB per array), %d thread(s), median of %d:\n", n, mib, hwgq::num_threads(),
                FLAGS_repeats);
    std::printf("  separate passes    %8.2f ms (11 array streams, %.1f GB/s)\n", four, 11 * n * 4.0 / four / 1e6);
    std::printf("  sgd_momentum_step  %8.2f ms (6 array streams, %.1f GB/s)\n", one, 6 * n * 4.0 / one / 1e6);
    std::printf("  separate / one pass: %.2fx\n", four / one);
  } catch (const hwgq::Error& error) {
    std::fprintf(stderr, "hwgq_bench_sgd_step: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
