// Whole-net inference: hwgq's float path (the deploy prototxt, BatchNorm folded into Quant)
// against the packed model lowered from the same random weights, on the same random input,
// timed in one process, alternating, median of --runs. BatchNorm statistics are taken from
// the input batch so every quantizer level occurs, as with trained weights.
//
//   hwgq_bench_packed --model=deploy.prototxt --batch=1 --threads=2 --runs=15
//   hwgq_bench_packed --model=deploy.prototxt --write=out/resnet18   # also writes
//       out/resnet18.hwgq and out/resnet18.caffemodel for `hwgq time` / memory runs
//
// Prints: batch, threads, ISA, float ms, packed ms, float/packed, and the CPU.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_setup.hpp"
#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/deploy/packed_runtime.hpp"
#include "hwgq/kernels/cpu_features.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/passes/lower_to_packed.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/util/io.hpp"

DEFINE_string(model, "", "deploy prototxt with one Input and binary layers fed by Quant layers");
DEFINE_int32(batch, 1, "batch size");
DEFINE_int32(threads, 1, "CPU threads");
DEFINE_int32(runs, 15, "timed forward passes of each form; the median is reported");
DEFINE_string(write, "", "also write PREFIX.hwgq (packed) and PREFIX.caffemodel (float weights)");
DEFINE_bool(header, false, "print the column header");
DEFINE_bool(cpu_time, false,
            "time with the process CPU clock (all threads summed): steadier than wall time on a shared "
            "machine, and the same as wall time for one thread that is never descheduled");

namespace {

using Clock = std::chrono::steady_clock;

double now_ms() {
  if (FLAGS_cpu_time) {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
  }
  return std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
}

void fill_gaussian(float* x, int n, float std, std::mt19937& rng) {
  std::normal_distribution<float> gaussian(0.f, std);
  for (int i = 0; i < n; ++i) x[i] = gaussian(rng);
}

// Random weights; each BatchNorm's statistics from its input on the current batch.
void randomize(hwgq::Net& net, std::mt19937& rng) {
  for (const auto& layer : net.layers()) {
    if (std::string(layer->type()) == "BatchNorm") continue;
    for (const auto& blob : layer->blobs()) fill_gaussian(blob->mutable_cpu_data(), blob->count(), 0.05f, rng);
  }
  int done = 0;
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    hwgq::Layer& layer = *net.layers()[i];
    if (std::string(layer.type()) != "BatchNorm") continue;
    net.forward_from_to(done, i);
    done = i;
    const hwgq::Blob& x = *net.bottom_vecs(i)[0];
    const int num = x.shape(0), channels = x.shape(1), spatial = x.count(2);
    for (int c = 0; c < channels; ++c) {
      double sum = 0, squares = 0;
      for (int n = 0; n < num; ++n) {
        const float* v = x.cpu_data() + (size_t(n) * channels + c) * spatial;
        for (int s = 0; s < spatial; ++s) sum += v[s], squares += double(v[s]) * v[s];
      }
      const double count = double(num) * spatial, mean = sum / count;
      layer.blobs()[0]->mutable_cpu_data()[c] = static_cast<float>(mean);
      layer.blobs()[1]->mutable_cpu_data()[c] = static_cast<float>(std::max(squares / count - mean * mean, 1e-4));
    }
    layer.blobs()[2]->mutable_cpu_data()[0] = 1.f;
  }
}

using hwgq::bench::median;

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

}  // namespace

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv);
  try {
    HWGQ_REQUIRE(!FLAGS_model.empty(), "--model is required");
    HWGQ_REQUIRE(FLAGS_runs > 0 && FLAGS_batch > 0 && FLAGS_threads > 0, "--runs, --batch, --threads must be positive");
    hwgq::set_num_threads(FLAGS_threads);
    hwgq::NetParameter deploy;
    hwgq::read_text_proto(FLAGS_model, &deploy);
    hwgq::set_batch_size(&deploy, FLAGS_batch);
    hwgq::NetBuildOptions options;
    options.phase = hwgq::TEST;
    options.origin = FLAGS_model;
    auto float_net = hwgq::build_net(deploy, options);
    std::mt19937 rng(1);
    hwgq::Blob& input = *float_net->input_blobs()[0];
    fill_gaussian(input.mutable_cpu_data(), input.count(), 1.f, rng);
    randomize(*float_net, rng);
    const hwgq::PackedModelProto model = hwgq::lower_to_packed(deploy, *float_net);
    if (!FLAGS_write.empty()) {
      hwgq::write_packed_model(model, FLAGS_write + ".hwgq");
      hwgq::NetParameter weights;
      float_net->to_proto(&weights);
      hwgq::write_binary_proto(weights, FLAGS_write + ".caffemodel");
    }
    for (const auto& pass : hwgq::default_inference_passes()) hwgq::apply_net_pass(*float_net, pass);
    hwgq::PackedRuntime runtime(model, 0, FLAGS_model);
    std::copy_n(input.cpu_data(), input.count(), runtime.input().mutable_cpu_data());

    std::vector<double> float_ms, packed_ms;
    for (int run = -2; run < FLAGS_runs; ++run) {  // two untimed warm-up rounds
      double start = now_ms();
      float_net->forward();
      const double f = now_ms() - start;
      start = now_ms();
      runtime.forward();
      const double p = now_ms() - start;
      if (run >= 0) float_ms.push_back(f), packed_ms.push_back(p);
    }
    // The two forms must agree on the class of every image.
    const hwgq::Blob& a = *float_net->output_blobs().back();
    const hwgq::Blob& b = runtime.output();
    const int classes = a.count() / FLAGS_batch;
    int same = 0;
    for (int n = 0; n < FLAGS_batch; ++n) {
      const float* x = a.cpu_data() + size_t(n) * classes;
      const float* y = b.cpu_data() + size_t(n) * classes;
      same += (std::max_element(x, x + classes) - x) == (std::max_element(y, y + classes) - y);
    }
    if (FLAGS_header) std::printf("batch threads isa float_ms packed_ms float/packed same_class cpu\n");
    std::printf("%d %d %s %.3f %.3f %.2f %d/%d %s\n", FLAGS_batch, FLAGS_threads,
                hwgq::kernels::isa_name(hwgq::kernels::active_isa()), median(float_ms), median(packed_ms),
                median(float_ms) / median(packed_ms), same, FLAGS_batch, cpu_name().c_str());
    return 0;
  } catch (const hwgq::Error& e) {
    std::fprintf(stderr, "hwgq_bench_packed: error: %s\n", e.what());
    return 1;
  }
}
