// Data-parallel sharding of every data layer: replica r of N, with batch b, must read
// exactly the items r, r + N, ... of the stream one process reads with batch N x b (same
// seed, same crops and mirrors), so the replicas' shares of an epoch are disjoint and
// together complete, and N x b trains like one process with N·b.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>

#include "data/data_test_util.hpp"
#include "hwgq/data/convert_imageset.hpp"
#include "hwgq/layers/data_layer.hpp"
#include "hwgq/layers/idx_data_layer.hpp"
#include "hwgq/layers/image_data_layer.hpp"
#include "hwgq/replica.hpp"

namespace hwgq {
namespace {

constexpr int kItems = 24;
constexpr uint64_t kSeed = 1234;

// Sets this thread's replica for the life of the object.
class ReplicaScope {
 public:
  ReplicaScope(int rank, int count) { set_this_replica(rank, count); }
  ~ReplicaScope() { set_this_replica(0, 1); }
};

struct Read {
  std::vector<std::vector<float>> items;  // per item: its pixels, then its label
  std::string state;                      // save_state() after the batches
};

using MakeLayer = std::function<std::unique_ptr<Layer>(int batch)>;

// `batches` batches of batch size `batch`, read as replica `rank` of `count`.
Read read(const MakeLayer& make, int batch, int rank, int count, int batches) {
  const ReplicaScope scope(rank, count);
  Context::get().set_random_seed(kSeed);
  std::unique_ptr<Layer> layer = make(batch);
  Blob data, label;
  layer->setup({}, {&data, &label});
  Read out;
  const int item_size = data.count() / batch;
  for (int b = 0; b < batches; ++b) {
    layer->forward({}, {&data, &label});
    for (int i = 0; i < batch; ++i) {
      std::vector<float> item(data.cpu_data() + i * item_size, data.cpu_data() + (i + 1) * item_size);
      item.push_back(label.cpu_data()[i]);
      out.items.push_back(item);
    }
  }
  out.state = layer->save_state();
  return out;
}

// The checks every data layer must pass, for N = 2 and 3 replicas of batch 4 over
// kItems items whose labels are their indices.
void expect_sharded_like_one_process(const MakeLayer& make) {
  constexpr int kBatch = 4;
  for (int count : {2, 3}) {
    SCOPED_TRACE("replicas: " + std::to_string(count));
    // Two epochs and a bit, so that a reshuffle and the crossing into an epoch are seen.
    const int batches = 2 * kItems / (count * kBatch) + 1;
    const Read whole = read(make, count * kBatch, 0, 1, batches);
    std::vector<Read> shares;
    for (int rank = 0; rank < count; ++rank) shares.push_back(read(make, kBatch, rank, count, batches));
    for (int b = 0; b < batches; ++b) {
      for (int i = 0; i < kBatch; ++i) {
        for (int rank = 0; rank < count; ++rank) {
          ASSERT_EQ(shares[rank].items[b * kBatch + i], whole.items[(b * kBatch + i) * count + rank])
              << "batch " << b << ", item " << i << " of rank " << rank;
        }
      }
    }
    // The first epoch: every item exactly once over all replicas.
    std::map<int, int> seen;
    const int first_epoch_batches = kItems / (count * kBatch);
    for (const Read& share : shares) {
      for (int k = 0; k < first_epoch_batches * kBatch; ++k) ++seen[static_cast<int>(share.items[k].back())];
    }
    ASSERT_EQ(seen.size(), static_cast<size_t>(kItems));
    for (const auto& [label, times] : seen) EXPECT_EQ(times, 1) << "item " << label;
    // Every replica saves the same position, counted over all replicas, so rank 0's
    // snapshot serves every rank of a resumed run.
    for (const Read& share : shares) EXPECT_EQ(share.state, shares[0].state);
  }
}

// Restoring a saved position as another replica set continues the same stream.
void expect_resume_with_other_count(const MakeLayer& make) {
  constexpr int kBatch = 2;
  // 3 batches of 2 replicas, then 2 more batches as 3 replicas, against one process.
  const Read first = read(make, kBatch, 0, 2, 3);
  const Read whole = read(make, 6 * kBatch, 0, 1, 3);
  for (int rank = 0; rank < 3; ++rank) {
    const ReplicaScope scope(rank, 3);
    Context::get().set_random_seed(kSeed);
    std::unique_ptr<Layer> layer = make(kBatch);
    Blob data, label;
    layer->setup({}, {&data, &label});
    layer->restore_state(first.state);
    for (int b = 0; b < 2; ++b) {
      layer->forward({}, {&data, &label});
      for (int i = 0; i < kBatch; ++i) {
        // Items consumed before: 3 batches x 2 replicas x 2; then stride 3 from `rank`.
        const int stream = 12 + (b * kBatch + i) * 3 + rank;
        EXPECT_EQ(label.cpu_data()[i], whole.items[stream].back()) << "rank " << rank << ", batch " << b;
      }
    }
  }
}

class ReplicaShardTest : public ::testing::Test {
 protected:
  test::ScratchDir dir_;
};

TEST_F(ReplicaShardTest, IdxData) {
  std::vector<uint8_t> pixels(kItems * 3 * 3), labels(kItems);
  for (int n = 0; n < kItems; ++n) {
    labels[n] = static_cast<uint8_t>(n);
    for (int j = 0; j < 9; ++j) pixels[n * 9 + j] = static_cast<uint8_t>(n * 9 + j);
  }
  test::write_idx(dir_.path("images"), {kItems, 3, 3}, pixels);
  test::write_idx(dir_.path("labels"), {kItems}, labels);
  const MakeLayer make = [&](int batch) {
    LayerParameter p;
    p.set_name("data");
    p.set_type("IdxData");
    p.set_phase(TRAIN);
    p.mutable_idx_data_param()->set_images(dir_.path("images"));
    p.mutable_idx_data_param()->set_labels(dir_.path("labels"));
    p.mutable_idx_data_param()->set_batch_size(batch);
    p.mutable_idx_data_param()->set_shuffle(true);
    return std::unique_ptr<Layer>(new IdxDataLayer(p));
  };
  expect_sharded_like_one_process(make);
  expect_resume_with_other_count(make);
}

class ImageShardTest : public ReplicaShardTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir(dir_.path("images").c_str(), 0755), 0);
    std::ofstream list(dir_.path("list.txt"));
    for (int i = 0; i < kItems; ++i) {
      const std::string name = std::to_string(i) + ".png";
      test::write_bytes(dir_.path("images/" + name), encode_png(test::make_image(8, 9, 3, i)));
      list << name << " " << i << "\n";
    }
  }
  // Random crops and mirrors: each item's must follow it to whichever replica reads it.
  static void random_transform(LayerParameter* p) {
    p->set_phase(TRAIN);
    p->mutable_transform_param()->set_crop_size(5);
    p->mutable_transform_param()->set_mirror(true);
  }
};

TEST_F(ImageShardTest, ImageData) {
  const MakeLayer make = [&](int batch) {
    LayerParameter p;
    p.set_name("images");
    p.set_type("ImageData");
    random_transform(&p);
    p.mutable_image_data_param()->set_source(dir_.path("list.txt"));
    p.mutable_image_data_param()->set_root_folder(dir_.path("images") + "/");
    p.mutable_image_data_param()->set_batch_size(batch);
    p.mutable_image_data_param()->set_shuffle(true);
    p.mutable_image_data_param()->set_decode_threads(2);
    return std::unique_ptr<Layer>(new ImageDataLayer(p));
  };
  expect_sharded_like_one_process(make);
  expect_resume_with_other_count(make);
}

TEST_F(ImageShardTest, DataFromLmdb) {
  const std::string db = dir_.path("db");
  convert_imageset(dir_.path("images") + "/", dir_.path("list.txt"), db, ConvertImagesetOptions());
  const MakeLayer make = [&](int batch) {
    LayerParameter p;
    p.set_name("data");
    p.set_type("Data");
    random_transform(&p);
    p.mutable_data_param()->set_source(db);
    p.mutable_data_param()->set_batch_size(batch);
    p.mutable_data_param()->set_backend(DataParameter::LMDB);
    p.mutable_data_param()->set_decode_threads(2);
    return std::unique_ptr<Layer>(new DataLayer(p));
  };
  expect_sharded_like_one_process(make);
  expect_resume_with_other_count(make);
}

}  // namespace
}  // namespace hwgq
