// Times whole training iterations (forward, backward and the SGD update) of a net whose
// inputs are Input layers filled once with random values, so data loading is not timed.
//
//   hwgq_bench --model=bench/nets/lenet.prototxt --iterations=50 --repeats=5 --threads=2
//   hwgq_bench --model=bench/nets/resnet18_hwgq.prototxt --batch=256 --classes=1000 --gpu
//
// With --gpu the whole iteration runs on the GPU (--device picks which) and each repeat
// waits for the device before reading the clock; --tf32 lets cuBLAS/cuDNN use TF32.
//
// Prints one line per repeat and the median milliseconds per iteration.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench_setup.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/math/random.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/device_memory.hpp"
#include "hwgq/util/io.hpp"

DEFINE_string(model, "", "net prototxt with Input layers (the last input is taken as labels)");
DEFINE_int32(iterations, 50, "training iterations per repeat");
DEFINE_int32(repeats, 5, "repeats; the median is reported");
DEFINE_int32(threads, 0, "CPU threads (0 = library default)");
DEFINE_int32(batch, 0, "override the batch size");
DEFINE_int32(classes, 10, "labels are drawn from [0, classes)");
DEFINE_bool(gpu, false, "run on the GPU");
DEFINE_int32(device, 0, "GPU id with --gpu");
DEFINE_bool(tf32, false, "allow TF32 tensor-core math on the GPU (default: full float32)");
DEFINE_bool(integer_forward, true,
            "binary layers fed by a uniform Quant forward with the exact integer kernel "
            "(pass integer_binary_forward); false: float forward");
DEFINE_string(backward_precision, "float32",
              "CPU backward passes of Convolution and BinaryConvolution layers: float32 or bf16 (SolverParameter "
              "backward_precision; float32 with a warning where the CPU lacks AVX512_BF16)");

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv);
  try {
    hwgq::set_num_threads(FLAGS_threads);
    if (FLAGS_gpu) {
      hwgq::select_device(FLAGS_device);
      hwgq::Context::get().set_mode(hwgq::Mode::GPU);
      hwgq::Context::get().set_device(FLAGS_device);
      hwgq::set_gpu_tf32(FLAGS_tf32);
    }
    hwgq::SolverParameter solver;
    hwgq::read_text_proto(FLAGS_model, solver.mutable_net_param());
    if (FLAGS_batch > 0) hwgq::set_batch_size(solver.mutable_net_param(), FLAGS_batch);
    solver.mutable_net_param()->set_integer_binary_forward(FLAGS_integer_forward);
    hwgq::bench::set_backward_precision(&solver, FLAGS_backward_precision);
    hwgq::bench::set_benchmark_sgd(&solver);
    auto sgd = hwgq::create_solver(solver, FLAGS_model);
    auto& inputs = sgd->net().input_blobs();
    for (size_t i = 0; i + 1 < inputs.size(); ++i) {
      hwgq::rng_uniform(inputs[i]->count(), 0.f, 1.f, inputs[i]->mutable_cpu_data());
    }
    hwgq::Blob* labels = inputs.back();
    for (int i = 0; i < labels->count(); ++i) labels->mutable_cpu_data()[i] = i % FLAGS_classes;

    auto iteration = [&] {
      sgd->net().clear_param_diffs();
      sgd->net().forward_backward();
      sgd->apply_update();
    };
    // Warm-up; on the GPU this is also when cuDNN picks its algorithms.
    for (int i = 0; i < 3; ++i) iteration();
    if (FLAGS_gpu) hwgq::device_synchronize();
    std::vector<double> per_iter;
    for (int r = 0; r < FLAGS_repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < FLAGS_iterations; ++i) iteration();
      if (FLAGS_gpu) hwgq::device_synchronize();
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / FLAGS_iterations;
      per_iter.push_back(ms);
      std::printf("repeat %d: %.3f ms/iter\n", r, ms);
    }
    std::sort(per_iter.begin(), per_iter.end());
    std::printf("median: %.3f ms/iter\n", per_iter[per_iter.size() / 2]);
  } catch (const hwgq::Error& error) {
    std::fprintf(stderr, "hwgq_bench: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
