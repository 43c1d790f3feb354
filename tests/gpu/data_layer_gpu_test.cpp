// The data layers in GPU mode against CPU mode: in GPU mode the prefetch thread uploads
// each batch on the copy stream and forward copies it device to device, so these check
// that the uploads, the event ordering and the reuse of every prefetch slot deliver exactly
// the batches the CPU path delivers, across epochs and random transforms.
#include <fstream>

#include "data/data_test_util.hpp"
#include "gpu_test_util.hpp"
#include "hwgq/data/prefetcher.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/device_memory.hpp"

namespace hwgq {
namespace {

using test::ModeScope;

// Runs `layer_param` set up and run in `mode`, returning the tops of `batches` forwards
// back to back (data then label, each batch's values in order).
std::vector<float> run_layer(const LayerParameter& layer_param, Mode mode, int batches, int num_tops,
                             uint64_t seed) {
  ModeScope scope(mode);
  Context::get().set_random_seed(seed);
  auto layer = create_layer(layer_param);
  Blob data, label;
  BlobVec top = {&data, &label};
  top.resize(num_tops);
  layer->setup({}, top);
  std::vector<float> seen;
  for (int b = 0; b < batches; ++b) {
    layer->forward({}, top);
    for (Blob* blob : top) seen.insert(seen.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  return seen;
}

void expect_same_batches(const LayerParameter& p, int batches, int num_tops) {
  const std::vector<float> cpu = run_layer(p, Mode::CPU, batches, num_tops, 77);
  const std::vector<float> gpu = run_layer(p, Mode::GPU, batches, num_tops, 77);
  ASSERT_EQ(cpu.size(), gpu.size());
  test::expect_close(p.type() + " tops", cpu.data(), gpu.data(), static_cast<int>(cpu.size()), 0.f);
}

class GpuDataLayers : public ::testing::Test {
 protected:
  void write_idx_set(int num, int rows, int cols) {
    std::vector<uint8_t> pixels(num * rows * cols), labels(num);
    for (int n = 0; n < num; ++n) {
      labels[n] = static_cast<uint8_t>(n % 10);
      for (int j = 0; j < rows * cols; ++j) pixels[n * rows * cols + j] = static_cast<uint8_t>((n * 37 + j * 11) % 256);
    }
    test::write_idx(dir_.path("images"), {num, rows, cols}, pixels);
    test::write_idx(dir_.path("labels"), {num}, labels);
  }

  LayerParameter idx_param(int batch_size) const {
    LayerParameter p;
    p.set_name("data");
    p.set_type("IdxData");
    p.set_phase(TRAIN);
    auto* idx = p.mutable_idx_data_param();
    idx->set_images(dir_.path("images"));
    idx->set_labels(dir_.path("labels"));
    idx->set_batch_size(batch_size);
    idx->set_shuffle(true);
    idx->set_scale(1.f / 255);
    idx->set_mean(33.f);
    return p;
  }

  test::ScratchDir dir_;
};

TEST_F(GpuDataLayers, IdxDataMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  write_idx_set(7, 5, 4);
  // Batches of 3 from 7 shuffled samples: every batch after the second crosses or ends an
  // epoch, and 8 batches pass through the single prefetch slot 8 times.
  expect_same_batches(idx_param(3), 8, 2);
  expect_same_batches(idx_param(3), 8, 1);  // data only
}

TEST_F(GpuDataLayers, IdxDataResumesInGpuMode) {
  HWGQ_REQUIRE_GPU();
  write_idx_set(6, 3, 3);
  const LayerParameter p = idx_param(4);
  // Uninterrupted: 5 batches. Interrupted: 2 batches, then a new layer restored from them.
  const std::vector<float> whole = run_layer(p, Mode::GPU, 5, 2, 5);
  ModeScope scope(Mode::GPU);
  std::string state;
  std::vector<float> resumed;
  {
    Context::get().set_random_seed(5);
    auto layer = create_layer(p);
    Blob data, label;
    layer->setup({}, {&data, &label});
    for (int b = 0; b < 2; ++b) {
      layer->forward({}, {&data, &label});
      for (Blob* blob : {&data, &label}) resumed.insert(resumed.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
    }
    state = layer->save_state();
  }
  Context::get().set_random_seed(999);  // a different seed: the state must carry the order
  auto layer = create_layer(p);
  Blob data, label;
  layer->setup({}, {&data, &label});
  layer->restore_state(state);
  for (int b = 2; b < 5; ++b) {
    layer->forward({}, {&data, &label});
    for (Blob* blob : {&data, &label}) resumed.insert(resumed.end(), blob->cpu_data(), blob->cpu_data() + blob->count());
  }
  ASSERT_EQ(whole.size(), resumed.size());
  test::expect_close("resumed IdxData tops", whole.data(), resumed.data(), static_cast<int>(whole.size()), 0.f);
}

TEST_F(GpuDataLayers, ImageDataMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  std::ofstream list(dir_.path("list.txt"));
  for (int i = 0; i < 5; ++i) {
    const std::string name = "img" + std::to_string(i) + ".png";
    test::write_bytes(dir_.path(name), encode_png(test::make_image(9, 11, 3, i)));
    list << name << " " << i << "\n";
  }
  list.close();
  LayerParameter p;
  p.set_name("images");
  p.set_type("ImageData");
  p.set_phase(TRAIN);
  auto* ip = p.mutable_image_data_param();
  ip->set_source(dir_.path("list.txt"));
  ip->set_root_folder(dir_.root() + "/");
  ip->set_batch_size(2);
  ip->set_shuffle(true);
  ip->set_decode_threads(2);
  // Random crops and mirrors come from per-item generators seeded at setup.
  p.mutable_transform_param()->set_crop_size(7);
  p.mutable_transform_param()->set_mirror(true);
  p.mutable_transform_param()->set_scale(0.5f);
  p.mutable_data_param()->set_prefetch(3);
  expect_same_batches(p, 7, 2);
}

// The prefetcher itself: in GPU mode every batch is handed out with its device copies
// (where CUDA is built in; the dry run on the CPU has none), on the context's device.
TEST(GpuDataPrefetch, BatchesArriveUploaded) {
  HWGQ_REQUIRE_GPU();
  ModeScope scope(Mode::GPU);
  int produced = 0;
  BatchPrefetcher prefetcher(2, 2, [&](Batch* batch) {
    batch->data.assign(1000, static_cast<float>(produced));
    batch->label.assign(10, static_cast<float>(-produced));
    ++produced;
  });
  prefetcher.start();
  EXPECT_EQ(prefetcher.uploads(), cuda_compiled());
  Blob data({10, 100}), label({10});
  for (int b = 0; b < 6; ++b) {
    if (b % 2 == 0) {
      prefetcher.consume([&](const Batch& batch) {
        EXPECT_EQ(batch.gpu_data != nullptr, cuda_compiled());
        EXPECT_EQ(batch.gpu_label != nullptr, cuda_compiled());
        EXPECT_EQ(batch.device, cuda_compiled() ? Context::get().device() : -1);
        EXPECT_EQ(batch.data[999], static_cast<float>(b));
      });
      continue;
    }
    prefetcher.consume_into(&data, &label, true);
    for (int i = 0; i < data.count(); ++i) ASSERT_EQ(data.cpu_data()[i], static_cast<float>(b)) << i;
    for (int i = 0; i < label.count(); ++i) ASSERT_EQ(label.cpu_data()[i], static_cast<float>(-b)) << i;
  }
}

}  // namespace
}  // namespace hwgq
