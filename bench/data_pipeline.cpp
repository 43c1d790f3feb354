// The image input pipeline: how many images per second (and per CPU core) the Data and
// ImageData layers decode, crop and mirror, and how long AlexNet-HWGQ training waits on them.
// bench/data_pipeline.sh runs all three steps on generated images:
//
//   hwgq_bench_data --make_images=DIR --count=1000
//       writes DIR/images/NNNNN.jpg (256 x 256, JPEG quality 90) and DIR/list.txt;
//       `hwgq convert_imageset --encoded DIR/images/ DIR/list.txt DIR/lmdb` makes the LMDB
//   hwgq_bench_data --lmdb=DIR/lmdb --decode_threads=2         # Data layer
//   hwgq_bench_data --list=DIR/list.txt --root=DIR/images/ ... # ImageData layer
//       a net of the data layer alone, transform as AlexNet-HWGQ's TRAIN data (crop 227,
//       mirror, per-channel mean), batch --batch; prints images/s over the wall clock and
//       images per CPU-second of the whole process (the decode threads and the consumer):
//       the images/s one core sustains
//   hwgq_bench_data --lmdb=DIR/lmdb --train=models/imagenet/alexnet/hwgq/train_val.prototxt --batch=16
//       trains the net (its TRAIN Data layer reading --lmdb) and prints the time per
//       iteration and how much of it forward spent waiting for the prefetch thread
#include <gflags/gflags.h>
#include <glog/logging.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_setup.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/layers/decoding_data_layer.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/net.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"

DEFINE_string(make_images, "", "write --count generated JPEGs and a list file into this folder, then exit");
DEFINE_int32(count, 1000, "images to generate with --make_images");
DEFINE_int32(size, 256, "side of the generated images");
DEFINE_int32(quality, 90, "JPEG quality of the generated images");
DEFINE_double(noise, 6.0, "standard deviation of the generated images' pixel noise (more: bigger, slower JPEGs)");
DEFINE_string(lmdb, "", "LMDB of encoded images (Data layer)");
DEFINE_string(list, "", "image list \"path label\" per line (ImageData layer)");
DEFINE_string(root, "", "root folder of the image list's paths");
DEFINE_int32(batch, 64, "batch size");
DEFINE_int32(decode_threads, 1, "decode threads of the data layer");
DEFINE_int32(crop, 227, "crop size");
DEFINE_int32(batches, 40, "timed batches per repeat");
DEFINE_int32(repeats, 5, "repeats; the median is reported");
DEFINE_string(train, "", "train this net (its TRAIN Data layer reads --lmdb) and report the waits for data");
DEFINE_int32(iterations, 20, "timed training iterations with --train");
DEFINE_int32(threads, 0, "compute threads for --train (0 = library default)");

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}
using hwgq::bench::median;

// A photograph-like test image: a smooth colour gradient, a few soft-edged blobs and a
// gentle wave (the large, smooth areas of real photos), plus sensor-like Gaussian noise
// (the fine detail that makes real JPEGs cost entropy decoding).
hwgq::Image generated_image(int index, int size) {
  std::mt19937 rng(static_cast<uint32_t>(index) * 2654435761u + 1);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  std::normal_distribution<float> noise(0.f, static_cast<float>(FLAGS_noise));
  hwgq::Image image;
  image.height = image.width = size;
  image.channels = 3;
  image.pixels.resize(size_t(size) * size * 3);
  float base[3], slope_h[3], slope_w[3];
  for (int c = 0; c < 3; ++c) {
    base[c] = 40.f + 140.f * unit(rng);
    slope_h[c] = (unit(rng) - 0.5f) * 120.f / size;
    slope_w[c] = (unit(rng) - 0.5f) * 120.f / size;
  }
  struct Blob {
    float h, w, radius, colour[3];
  };
  std::vector<Blob> blobs(3 + index % 4);
  for (auto& b : blobs) {
    b.h = unit(rng) * size;
    b.w = unit(rng) * size;
    b.radius = (0.08f + 0.25f * unit(rng)) * size;
    for (float& c : b.colour) c = (unit(rng) - 0.5f) * 160.f;
  }
  const float wave_h = unit(rng) * 0.15f, wave_w = unit(rng) * 0.15f, wave_phase = unit(rng) * 6.28f;
  for (int h = 0; h < size; ++h) {
    for (int w = 0; w < size; ++w) {
      const float wave = 12.f * std::sin(wave_h * h + wave_w * w + wave_phase);
      for (int c = 0; c < 3; ++c) {
        float value = base[c] + slope_h[c] * h + slope_w[c] * w + wave;
        for (const auto& b : blobs) {
          const float d2 = ((h - b.h) * (h - b.h) + (w - b.w) * (w - b.w)) / (b.radius * b.radius);
          value += b.colour[c] * std::exp(-d2 * d2);
        }
        value += noise(rng);
        image.at(h, w, c) = static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L));
      }
    }
  }
  return image;
}

void make_images() {
  HWGQ_REQUIRE(FLAGS_count > 0, "--count must be positive, got " << FLAGS_count);
  HWGQ_REQUIRE(FLAGS_size > 0 && FLAGS_size <= 4096, "--size must be in [1, 4096], got " << FLAGS_size);
  HWGQ_REQUIRE(FLAGS_quality >= 1 && FLAGS_quality <= 100, "--quality must be in [1, 100], got " << FLAGS_quality);
  HWGQ_REQUIRE(FLAGS_noise >= 0 && FLAGS_noise <= 128, "--noise must be in [0, 128], got " << FLAGS_noise);
  const std::filesystem::path folder(FLAGS_make_images);
  std::filesystem::create_directories(folder / "images");
  std::ofstream list(folder / "list.txt");
  HWGQ_REQUIRE(list.good(), "cannot write " << (folder / "list.txt").string());
  int64_t bytes = 0;
  for (int i = 0; i < FLAGS_count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%05d.jpg", i);
    const std::string jpeg = hwgq::encode_jpeg(generated_image(i, FLAGS_size), FLAGS_quality);
    hwgq::write_file_atomic((folder / "images" / name).string(), jpeg);
    bytes += int64_t(jpeg.size());
    list << name << " " << i % 1000 << "\n";
  }
  HWGQ_REQUIRE(list.good(), "cannot write " << (folder / "list.txt").string());
  std::printf("wrote %d %dx%d JPEGs (quality %d, %.1f KB on average) and %s\n", FLAGS_count, FLAGS_size, FLAGS_size,
              FLAGS_quality, double(bytes) / FLAGS_count / 1024.0, (folder / "list.txt").string().c_str());
}

// The transform of AlexNet-HWGQ's TRAIN data layer, at --crop.
std::string alexnet_transform() {
  return "transform_param { mirror: true crop_size: " + std::to_string(FLAGS_crop) +
         " mean_value: 104 mean_value: 117 mean_value: 123 }";
}

std::string data_layer_text() {
  if (!FLAGS_lmdb.empty()) {
    return "layer { name: 'data' type: 'Data' top: 'data' top: 'label' " + alexnet_transform() +
           " data_param { source: '" + FLAGS_lmdb + "' backend: LMDB batch_size: " + std::to_string(FLAGS_batch) +
           " decode_threads: " + std::to_string(FLAGS_decode_threads) + " } }";
  }
  return "layer { name: 'data' type: 'ImageData' top: 'data' top: 'label' " + alexnet_transform() +
         " image_data_param { source: '" + FLAGS_list + "' root_folder: '" + FLAGS_root +
         "' batch_size: " + std::to_string(FLAGS_batch) + " decode_threads: " + std::to_string(FLAGS_decode_threads) +
         " } }";
}

hwgq::DecodingDataLayer& data_layer_of(hwgq::Net& net) {
  for (const auto& layer : net.layers()) {
    if (auto* data = dynamic_cast<hwgq::DecodingDataLayer*>(layer.get())) return *data;
  }
  HWGQ_FAIL("net \"" << net.name() << "\" has no Data or ImageData layer");
}

void read_images() {
  hwgq::NetParameter param;
  hwgq::parse_text_proto(data_layer_text(), "the benchmark's data net", &param);
  param.set_name("data-only");
  hwgq::Net net(param, hwgq::TRAIN);
  // Untimed: the prefetch queue fills, so the first repeat does not start ahead.
  for (int b = 0; b < 8; ++b) net.forward();
  std::vector<double> per_second, per_cpu_second;
  for (int r = 0; r < FLAGS_repeats; ++r) {
    const double cpu_start = process_cpu_seconds();
    const auto start = Clock::now();
    for (int b = 0; b < FLAGS_batches; ++b) net.forward();
    const double wall = seconds_since(start);
    const double cpu = process_cpu_seconds() - cpu_start;
    const double images = double(FLAGS_batches) * FLAGS_batch;
    per_second.push_back(images / wall);
    per_cpu_second.push_back(images / cpu);
    std::printf("repeat %d: %.1f images/s, %.1f images per CPU-second (%.2f cores busy)\n", r, images / wall,
                images / cpu, cpu / wall);
  }
  const auto& shape = data_layer_of(net).item_shape();
  std::printf("%s, batch %d, decode_threads %d, items %dx%dx%d: median %.1f images/s, %.1f images/s per core\n",
              FLAGS_lmdb.empty() ? "ImageData (image list)" : "Data (LMDB)", FLAGS_batch, FLAGS_decode_threads,
              shape[0], shape[1], shape[2], median(per_second), median(per_cpu_second));
}

void train() {
  hwgq::SolverParameter solver;
  hwgq::read_text_proto(FLAGS_train, solver.mutable_net_param());
  hwgq::NetParameter* net = solver.mutable_net_param();
  int data_layers = 0;
  for (auto& layer : *net->mutable_layer()) {
    if (layer.type() != "Data") continue;
    const bool train_phase = layer.include_size() == 0 || layer.include(0).phase() == hwgq::TRAIN;
    if (!train_phase) continue;
    layer.mutable_data_param()->set_source(FLAGS_lmdb);
    layer.mutable_data_param()->set_batch_size(FLAGS_batch);
    layer.mutable_data_param()->set_decode_threads(FLAGS_decode_threads);
    ++data_layers;
  }
  HWGQ_REQUIRE(data_layers == 1, FLAGS_train << " has " << data_layers << " TRAIN Data layers; expected one");
  hwgq::bench::set_benchmark_sgd(&solver);
  auto sgd = hwgq::create_solver(solver, FLAGS_train);
  auto& data = data_layer_of(sgd->net());
  auto iteration = [&] {
    sgd->net().clear_param_diffs();
    sgd->net().forward_backward();
    sgd->apply_update();
  };
  for (int i = 0; i < 3; ++i) iteration();  // untimed warm-up
  const auto before = data.prefetch_wait();
  const auto start = Clock::now();
  std::vector<double> iteration_ms;
  for (int i = 0; i < FLAGS_iterations; ++i) {
    const auto iteration_start = Clock::now();
    iteration();
    iteration_ms.push_back(seconds_since(iteration_start) * 1e3);
  }
  const double wall = seconds_since(start);
  const auto after = data.prefetch_wait();
  const int64_t batches = after.batches - before.batches;
  const double waited = after.wait_seconds - before.wait_seconds;
  std::printf("%s, batch %d, %d compute threads, decode_threads %d: %d iterations, median %.1f ms per iteration\n",
              FLAGS_train.c_str(), FLAGS_batch, hwgq::num_threads(), FLAGS_decode_threads, FLAGS_iterations,
              median(iteration_ms));
  std::printf("waited for data: %.3f ms per iteration (%.3f %% of the run; %lld batches consumed)\n",
              waited * 1e3 / double(std::max<int64_t>(batches, 1)), 100.0 * waited / wall,
              static_cast<long long>(batches));
}

}  // namespace

int main(int argc, char** argv) {
  hwgq::bench::start(&argc, &argv);
  try {
    if (!FLAGS_make_images.empty()) {
      make_images();
      return 0;
    }
    HWGQ_REQUIRE(FLAGS_lmdb.empty() != FLAGS_list.empty(), "give one of --lmdb and --list (or --make_images)");
    HWGQ_REQUIRE(FLAGS_batch > 0, "--batch must be positive, got " << FLAGS_batch);
    HWGQ_REQUIRE(FLAGS_batches > 0 && FLAGS_repeats > 0 && FLAGS_iterations > 0,
                 "--batches, --repeats and --iterations must be positive");
    HWGQ_REQUIRE(FLAGS_decode_threads >= 1, "--decode_threads must be >= 1, got " << FLAGS_decode_threads);
    hwgq::set_num_threads(FLAGS_threads);
    if (!FLAGS_train.empty()) {
      HWGQ_REQUIRE(!FLAGS_lmdb.empty(), "--train reads --lmdb");
      train();
    } else {
      read_images();
    }
  } catch (const hwgq::Error& error) {
    std::fprintf(stderr, "hwgq_bench_data: error: %s\n", error.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& error) {
    std::fprintf(stderr, "hwgq_bench_data: error: %s\n", error.what());
    return 1;
  }
  return 0;
}
