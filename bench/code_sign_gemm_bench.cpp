// Times the pieces of the integer forward of one binary convolution image (kernels/
// code_sign_gemm.hpp) on the bench nets' binary convolution shapes, one thread: mapping the
// Quant outputs to codes, packing their im2col panels, the code x sign GEMM with every
// kernel the CPU runs, and turning the int32 sums into floats. Prints milliseconds per
// image (median of --runs, the kernels taking turns within each run) and the GEMM's
// multiply-adds per nanosecond.
//
//   hwgq_bench_code_sign_gemm --runs=7
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench_setup.hpp"
#include "hwgq/kernels/code_sign_gemm.hpp"
#include "hwgq/kernels/cpu_features.hpp"

DEFINE_int32(runs, 7, "timed runs per measurement; the median is reported");
DEFINE_int32(images, 4, "images per timed run (the time is divided by it)");

namespace {

using hwgq::kernels::CodeSignKernel;

struct Shape {
  const char* net;
  int channels, size, outputs, kernel, pad, stride;
};

// Binary convolutions of the CIFAR-10 VGG-HWGQ, AlexNet-HWGQ and ResNet-18-HWGQ bench nets.
const Shape kShapes[] = {
    {"vgg conv2", 128, 32, 128, 3, 1, 1},     {"vgg conv3", 128, 16, 256, 3, 1, 1},
    {"vgg conv4", 256, 16, 256, 3, 1, 1},     {"vgg conv5", 256, 8, 512, 3, 1, 1},
    {"vgg conv6", 512, 8, 512, 3, 1, 1},      {"alexnet conv2", 96, 27, 256, 5, 2, 1},
    {"alexnet conv3", 256, 13, 384, 3, 1, 1}, {"alexnet conv4", 384, 13, 384, 3, 1, 1},
    {"resnet 56x56", 64, 56, 64, 3, 1, 1},    {"resnet 28x28", 128, 28, 128, 3, 1, 1},
    {"resnet 14x14", 256, 14, 256, 3, 1, 1},  {"resnet 7x7", 512, 7, 512, 3, 1, 1},
};

using hwgq::bench::median;

using hwgq::bench::wall_ms;

}  // namespace

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv);
  namespace k = hwgq::kernels;
  HWGQ_REQUIRE(FLAGS_runs > 0 && FLAGS_images > 0, "--runs and --images must be positive");
  const std::vector<CodeSignKernel> kernels = k::supported_code_sign_kernels();
  std::printf("CPU: %s\n", k::cpu_feature_string().c_str());
  std::printf("ms per image, 1 thread, median of %d runs of %d images\n", FLAGS_runs, FLAGS_images);
  std::printf("%-15s %8s %8s", "shape", "codes", "pack");
  for (CodeSignKernel kernel : kernels) {
    if (kernel != CodeSignKernel::kScalar) std::printf(" %11s", k::code_sign_kernel_name(kernel));
  }
  std::printf(" %8s   best MAC/ns\n", "scale");

  k::LevelCodes codes;
  HWGQ_REQUIRE(k::uniform_codes({0.538f, 1.076f, 1.614f}, &codes), "the 2-bit centers are uniform");
  std::mt19937 gen(5);
  for (const Shape& s : kShapes) {
    hwgq::Conv2dGeometry g{s.channels, s.size, s.size, s.kernel, s.kernel, s.pad, s.pad, s.stride, s.stride, 1, 1};
    const int pixels = g.out_height() * g.out_width();
    const int depth = s.channels * s.kernel * s.kernel;
    std::vector<float> w(static_cast<size_t>(s.outputs) * depth);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (float& v : w) v = normal(gen);
    std::uniform_int_distribution<int> level(0, codes.max_code());
    std::vector<float> x(static_cast<size_t>(s.channels) * s.size * s.size);
    for (float& v : x) v = codes.values[level(gen)];
    k::PackedSigns signs;
    k::pack_signs(w.data(), s.outputs, depth, true, &signs, nullptr);
    std::vector<uint8_t> code_image(x.size());
    k::PackedCodes packed;
    std::vector<int32_t> sums(static_cast<size_t>(s.outputs) * pixels);
    std::vector<float> y(sums.size());

    std::vector<double> map_ms, pack_ms, scale_ms;
    std::vector<std::vector<double>> gemm_ms(kernels.size());
    for (int run = 0; run <= FLAGS_runs; ++run) {
      const double m = wall_ms([&] {
        for (int i = 0; i < FLAGS_images; ++i) k::map_codes(x.data(), x.size(), codes, code_image.data());
      });
      const double p = wall_ms([&] {
        for (int i = 0; i < FLAGS_images; ++i) k::pack_conv_codes(code_image.data(), g, 0, s.channels, &packed);
      });
      std::vector<double> gemm(kernels.size());
      for (size_t j = 0; j < kernels.size(); ++j) {
        if (kernels[j] == CodeSignKernel::kScalar) continue;
        gemm[j] = wall_ms([&] {
          for (int i = 0; i < FLAGS_images; ++i) {
            k::code_sign_gemm_with(kernels[j], signs, packed, sums.data(), pixels, false);
          }
        });
      }
      const double sc = wall_ms([&] {
        for (int i = 0; i < FLAGS_images; ++i) {
          k::scale_rows(sums.data(), pixels, s.outputs, pixels, signs.alphas.data(), codes.step, nullptr, y.data(),
                        pixels, 1);
        }
      });
      if (run == 0) continue;  // warm-up
      map_ms.push_back(m / FLAGS_images);
      pack_ms.push_back(p / FLAGS_images);
      scale_ms.push_back(sc / FLAGS_images);
      for (size_t j = 0; j < kernels.size(); ++j) gemm_ms[j].push_back(gemm[j] / FLAGS_images);
    }
    std::printf("%-15s %8.3f %8.3f", s.net, median(map_ms), median(pack_ms));
    double best = 1e300;
    for (size_t j = 0; j < kernels.size(); ++j) {
      if (kernels[j] == CodeSignKernel::kScalar) continue;
      const double ms = median(gemm_ms[j]);
      best = std::min(best, ms);
      std::printf(" %11.3f", ms);
    }
    const double macs = static_cast<double>(s.outputs) * depth * pixels;
    std::printf(" %8.3f   %.1f\n", median(scale_ms), macs / (best * 1e6));
  }
  return 0;
}
