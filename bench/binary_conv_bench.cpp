// Times the packed binary convolution (pack_activations + binary_conv, per instruction set
// the CPU supports) against hwgq's float path (ConvolutionLayer forward: im2col + sgemm, the
// layer BinaryConvolution runs at inference) on ResNet-18's 3x3 binary convolution shapes,
// with 2-bit Quant outputs (centers 0.538, 1.076, 1.614) as input.
//
//   hwgq_bench_binary_conv --runs=9 --batches=1,16 --threads=1,2
//
// Prints the CPU, then per shape, batch and thread count the median milliseconds of --runs
// runs (after one warm-up; the paths take turns within each run so that they see the same
// machine load) and the float / packed ratio.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <time.h>

#include "bench_setup.hpp"
#include "hwgq/kernels/binary_conv.hpp"
#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/util/io.hpp"

DEFINE_int32(runs, 9, "timed runs per measurement; the median is reported");
DEFINE_string(batches, "1,16", "batch sizes, comma separated");
DEFINE_string(threads, "1,2", "thread counts, comma separated");
DEFINE_string(isas, "", "instruction sets to time (default: all the CPU supports)");
DEFINE_bool(cpu_time, false,
            "measure process CPU time instead of wall time (less sensitive to other processes on a shared "
            "machine; with several threads it adds up their time)");
DEFINE_bool(breakdown, false, "also print the packing time alone (pack ms) per instruction set");

namespace {

struct Shape {
  int channels, size, outputs, stride;
};

// ResNet-18's 3x3 binary convolutions (pad 1): the four stage shapes and the three
// stride-2 entries of stages 2-4.
const Shape kShapes[] = {{64, 56, 64, 1},   {128, 28, 128, 1}, {256, 14, 256, 1}, {512, 7, 512, 1},
                         {64, 56, 128, 2},  {128, 28, 256, 2}, {256, 14, 512, 2}};

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) values.push_back(std::stoi(item));
  }
  return values;
}

using hwgq::bench::median;

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

template <class F>
double time_ms(F&& run) {
  if (FLAGS_cpu_time) {
    const double start = process_cpu_ms();
    run();
    return process_cpu_ms() - start;
  }
  return hwgq::bench::wall_ms(run);
}

}  // namespace

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv);
  namespace k = hwgq::kernels;
  try {
    std::vector<k::Isa> isas;
    if (FLAGS_isas.empty()) {
      isas = k::supported_isas();
    } else {
      std::stringstream in(FLAGS_isas);
      std::string name;
      while (std::getline(in, name, ',')) isas.push_back(k::parse_isa(name));
    }
    std::printf("CPU: %s\nISA at start: %s; median of %d runs, milliseconds of %s; ratio = float / packed\n",
                k::cpu_feature_string().c_str(), k::isa_name(k::active_isa()), FLAGS_runs,
                FLAGS_cpu_time ? "process CPU time" : "wall time");
    std::printf("%-22s %5s %3s %9s", "shape (CxHxW->O/s)", "batch", "thr", "float");
    for (k::Isa isa : isas) std::printf(" %9s %7s", k::isa_name(isa), "ratio");
    std::printf("\n");

    const std::vector<float> levels = {0.538f, 1.076f, 1.614f};
    const k::ActivationLevels act_levels(levels);
    for (int batch : parse_list(FLAGS_batches)) {
      for (const Shape& s : kShapes) {
        // Input: Quant outputs, about a third zeros.
        hwgq::Blob x({batch, s.channels, s.size, s.size}), y;
        std::mt19937 gen(42);
        std::uniform_int_distribution<int> pick(-1, 2);
        for (int i = 0; i < x.count(); ++i) {
          const int code = pick(gen);
          x.mutable_cpu_data()[i] = code < 0 ? 0.f : levels[code];
        }
        hwgq::LayerParameter param;
        std::ostringstream text;
        text << "name: \"conv\" type: \"Convolution\" convolution_param { num_output: " << s.outputs
             << " kernel_size: 3 pad: 1 stride: " << s.stride << " weight_filler { type: \"gaussian\" std: 1 } }";
        hwgq::parse_text_proto(text.str(), "bench", &param);
        hwgq::ConvolutionLayer conv(param);
        conv.setup({&x}, {&y});
        const k::PackedBinaryWeights weights =
            k::pack_binary_weights(conv.blobs()[0]->cpu_data(), s.outputs, s.channels, 3, 3, 1, true);
        const k::ConvGeometry geometry = k::make_conv_geometry(s.size, s.size, 3, 3, s.stride, s.stride, 1, 1, 1, 1);
        const float* bias = conv.blobs()[1]->cpu_data();
        std::vector<float> out(y.count());
        k::PackedActivations packed;

        for (int threads : parse_list(FLAGS_threads)) {
          hwgq::set_num_threads(threads);
          auto run_float = [&] { conv.forward({&x}, {&y}); };
          auto run_packed = [&](k::Isa isa) {
            k::ScopedIsa forced(isa);
            k::pack_activations(x.cpu_data(), batch, s.channels, s.size, s.size, act_levels, &packed);
            k::binary_conv(packed, weights, geometry, bias, out.data());
          };
          auto run_pack = [&](k::Isa isa) {
            k::ScopedIsa forced(isa);
            k::pack_activations(x.cpu_data(), batch, s.channels, s.size, s.size, act_levels, &packed);
          };
          // Warm-up, then the runs interleaved so that all paths see the same machine load.
          run_float();
          for (k::Isa isa : isas) run_packed(isa);
          std::vector<double> float_times;
          std::vector<std::vector<double>> packed_times(isas.size()), pack_times(isas.size());
          for (int r = 0; r < FLAGS_runs; ++r) {
            float_times.push_back(time_ms(run_float));
            for (size_t j = 0; j < isas.size(); ++j) {
              packed_times[j].push_back(time_ms([&] { run_packed(isas[j]); }));
              if (FLAGS_breakdown) pack_times[j].push_back(time_ms([&] { run_pack(isas[j]); }));
            }
          }
          const double float_ms = median(float_times);
          char label[64];
          std::snprintf(label, sizeof(label), "%dx%dx%d->%d/%d", s.channels, s.size, s.size, s.outputs, s.stride);
          std::printf("%-22s %5d %3d %9.3f", label, batch, threads, float_ms);
          for (size_t j = 0; j < isas.size(); ++j) {
            const double packed_ms = median(packed_times[j]);
            std::printf(" %9.3f %6.1fx", packed_ms, float_ms / packed_ms);
            if (FLAGS_breakdown) std::printf(" (pack %.3f)", median(pack_times[j]));
          }
          std::printf("\n");
          std::fflush(stdout);
        }
      }
    }
  } catch (const hwgq::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
