#include "hwgq/layers/idx_data_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data/data_test_util.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

// Images whose pixels encode (sample, position), and labels equal to the sample index, so
// every batch shows which samples it holds.
class IdxDataLayerTest : public ::testing::Test {
 protected:
  void write_set(int num, int rows, int cols, bool gzip = false) {
    std::vector<uint8_t> pixels(num * rows * cols), labels(num);
    for (int n = 0; n < num; ++n) {
      labels[n] = static_cast<uint8_t>(n);
      for (int j = 0; j < rows * cols; ++j) pixels[n * rows * cols + j] = static_cast<uint8_t>(n * 10 + j);
    }
    test::write_idx(images(), {num, rows, cols}, pixels, gzip);
    test::write_idx(labels_path(), {num}, labels, gzip);
  }
  std::string images() const { return dir_.path("images"); }
  std::string labels_path() const { return dir_.path("labels"); }

  LayerParameter param(int batch_size, bool shuffle, Phase phase = TRAIN) const {
    LayerParameter p;
    p.set_name("data");
    p.set_type("IdxData");
    p.set_phase(phase);
    auto* idx = p.mutable_idx_data_param();
    idx->set_images(images());
    idx->set_labels(labels_path());
    idx->set_batch_size(batch_size);
    idx->set_shuffle(shuffle);
    return p;
  }

  // The labels (sample indices) of `batches` consecutive batches.
  std::vector<int> run(const LayerParameter& p, int batches) {
    IdxDataLayer layer(p);
    Blob data, label;
    layer.setup({}, {&data, &label});
    std::vector<int> seen;
    for (int b = 0; b < batches; ++b) {
      layer.forward({}, {&data, &label});
      for (int i = 0; i < label.count(); ++i) seen.push_back(static_cast<int>(label.cpu_data()[i]));
    }
    return seen;
  }

  std::string setup_error(const LayerParameter& p, int num_tops = 2) {
    try {
      IdxDataLayer layer(p);
      Blob data, label;
      BlobVec top = {&data, &label};
      top.resize(num_tops);
      layer.setup({}, top);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  test::ScratchDir dir_;
};

TEST_F(IdxDataLayerTest, ValuesShapesAndEpochCrossing) {
  for (bool gzip : {false, true}) {
    write_set(5, 2, 3, gzip);
    LayerParameter p = param(2, false);
    p.mutable_idx_data_param()->set_scale(0.5f);
    p.mutable_idx_data_param()->set_mean(10.f);
    IdxDataLayer layer(p);
    Blob data, label;
    layer.setup({}, {&data, &label});
    EXPECT_EQ(data.shape(), (std::vector<int>{2, 1, 2, 3}));
    EXPECT_EQ(label.shape(), (std::vector<int>{2}));
    // Samples 0 1 | 2 3 | 4 0: the third batch ends epoch one and starts epoch two.
    const int expected[3][2] = {{0, 1}, {2, 3}, {4, 0}};
    for (const auto& batch : expected) {
      layer.forward({}, {&data, &label});
      for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(label.cpu_data()[i], batch[i]);
        for (int j = 0; j < 6; ++j) {
          EXPECT_FLOAT_EQ(data.cpu_data()[i * 6 + j], (batch[i] * 10 + j - 10.f) * 0.5f) << "gzip " << gzip;
        }
      }
    }
  }
}

TEST_F(IdxDataLayerTest, BatchLargerThanTheDataSetWrapsAround) {
  write_set(3, 1, 1);
  EXPECT_EQ(run(param(7, false), 2), (std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1}));
}

TEST_F(IdxDataLayerTest, DataOnlyTop) {
  write_set(4, 2, 2);
  LayerParameter p = param(3, false);
  p.mutable_idx_data_param()->clear_labels();
  IdxDataLayer layer(p);
  Blob data;
  layer.setup({}, {&data});
  layer.forward({}, {&data});
  EXPECT_EQ(data.shape(), (std::vector<int>{3, 1, 2, 2}));
  EXPECT_EQ(data.cpu_data()[4], 10.f);
}

TEST_F(IdxDataLayerTest, ShuffleIsAFreshPermutationEachEpochAndFollowsTheSeed) {
  const int n = 20;
  write_set(n, 1, 2);
  Context::get().set_random_seed(1234);
  // Batches of 6 over 20 samples: the epochs end inside batches 4, 7 and 10.
  const std::vector<int> first = run(param(6, true), 10);
  Context::get().set_random_seed(1234);
  EXPECT_EQ(run(param(6, true), 10), first);
  Context::get().set_random_seed(99);
  EXPECT_NE(run(param(6, true), 10), first);

  std::vector<std::vector<int>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<int> epoch(first.begin() + e * n, first.begin() + (e + 1) * n);
    std::vector<int> sorted = epoch;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < n; ++i) ASSERT_EQ(sorted[i], i) << "epoch " << e << " is not a permutation";
    epochs.push_back(epoch);
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  std::vector<int> identity(n);
  for (int i = 0; i < n; ++i) identity[i] = i;
  EXPECT_NE(epochs[0], identity);
}

TEST_F(IdxDataLayerTest, TestPhaseNeverShuffles) {
  write_set(4, 1, 1);
  EXPECT_EQ(run(param(3, true, TEST), 2), (std::vector<int>{0, 1, 2, 3, 0, 1}));
}

TEST_F(IdxDataLayerTest, RegisteredAndStopsCleanlyWithoutForward) {
  write_set(4, 2, 2);
  for (int i = 0; i < 5; ++i) {
    auto layer = create_layer(param(2, true));
    EXPECT_STREQ(layer->type(), "IdxData");
    Blob data, label;
    layer->setup({}, {&data, &label});
  }
}

TEST_F(IdxDataLayerTest, Errors) {
  write_set(4, 2, 2);
  LayerParameter p = param(2, false);

  p.mutable_idx_data_param()->set_batch_size(0);
  EXPECT_NE(setup_error(p).find("batch_size must be positive"), std::string::npos) << setup_error(p);

  p = param(2, false);
  p.mutable_idx_data_param()->set_images(dir_.path("missing-images.gz"));
  std::string message = setup_error(p);
  EXPECT_NE(message.find(dir_.path("missing-images.gz")), std::string::npos) << message;

  p = param(2, false);
  p.mutable_idx_data_param()->clear_labels();
  EXPECT_NE(setup_error(p).find("labels is not set"), std::string::npos) << setup_error(p);
  EXPECT_EQ(setup_error(p, 1), "(no error)");

  test::write_idx(dir_.path("five-labels"), {5}, {0, 1, 2, 3, 4});
  p = param(2, false);
  p.mutable_idx_data_param()->set_labels(dir_.path("five-labels"));
  message = setup_error(p);
  EXPECT_NE(message.find("holds 4 images"), std::string::npos) << message;
  EXPECT_NE(message.find("5 labels"), std::string::npos) << message;
  EXPECT_NE(message.find("layer \"data\""), std::string::npos) << message;

  p = param(2, false);
  p.mutable_idx_data_param()->set_images(labels_path());
  message = setup_error(p);
  EXPECT_NE(message.find("expected 0x00000803"), std::string::npos) << message;
}

TEST_F(IdxDataLayerTest, FashionMnistTestSet) {
  const std::string root = "/usr/share/datasets/fashion-mnist/";
  if (!file_exists(root + "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST under " << root;
  LayerParameter p = param(100, false, TEST);
  p.mutable_idx_data_param()->set_images(root + "t10k-images-idx3-ubyte.gz");
  p.mutable_idx_data_param()->set_labels(root + "t10k-labels-idx1-ubyte.gz");
  p.mutable_idx_data_param()->set_scale(1.f / 255);
  IdxDataLayer layer(p);
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(layer.num_samples(), 10000);
  EXPECT_EQ(data.shape(), (std::vector<int>{100, 1, 28, 28}));
  layer.forward({}, {&data, &label});
  float low = 1, high = 0;
  for (int i = 0; i < data.count(); ++i) {
    low = std::min(low, data.cpu_data()[i]);
    high = std::max(high, data.cpu_data()[i]);
  }
  EXPECT_EQ(low, 0.f);
  EXPECT_LE(high, 1.f);
  EXPECT_GT(high, 0.9f);
  // The first test image of Fashion-MNIST is an ankle boot (class 9).
  EXPECT_EQ(label.cpu_data()[0], 9.f);
}

// hwgq test --iterations=0 covers the source once from this count, seen through Layer.
TEST_F(IdxDataLayerTest, SourceSizeIsTheSampleCount) {
  write_set(7, 2, 2);
  IdxDataLayer layer(param(3, false));
  EXPECT_EQ(static_cast<const Layer&>(layer).source_size(), -1) << "unknown before setup";
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(static_cast<const Layer&>(layer).source_size(), 7);
}

}  // namespace
}  // namespace hwgq
