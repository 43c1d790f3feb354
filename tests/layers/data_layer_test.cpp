#include "hwgq/layers/data_layer.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "data/data_test_util.hpp"
#include "hwgq/data/datum.hpp"
#include "hwgq/data/lmdb.hpp"
#include "hwgq/layer_registry.hpp"

namespace hwgq {
namespace {

std::string key_of(int i) {
  char key[16];
  std::snprintf(key, sizeof(key), "%08d", i);
  return key;
}

class DataLayerTest : public ::testing::Test {
 protected:
  std::string db() const { return dir_.path("db"); }

  // Records 0..n-1: raw 3 x 4 x 5 Datums of make_image(4, 5, 3, i), label i.
  void write_raw(int n) {
    LmdbWriter writer(db());
    for (int i = 0; i < n; ++i) {
      Datum datum;
      image_to_datum(test::make_image(4, 5, 3, i), i, &datum);
      writer.put(key_of(i), datum.SerializeAsString());
    }
  }

  LayerParameter param(int batch_size, Phase phase = TEST) const {
    LayerParameter p;
    p.set_name("data");
    p.set_type("Data");
    p.set_phase(phase);
    p.mutable_data_param()->set_source(db());
    p.mutable_data_param()->set_batch_size(batch_size);
    p.mutable_data_param()->set_backend(DataParameter::LMDB);
    p.mutable_data_param()->set_decode_threads(2);
    return p;
  }

  std::string setup_error(const LayerParameter& p) {
    try {
      DataLayer layer(p);
      Blob data, label;
      layer.setup({}, {&data, &label});
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  test::ScratchDir dir_;
};

TEST_F(DataLayerTest, RawRecordsInKeyOrderWrappingAround) {
  write_raw(5);
  DataLayer layer(param(2));
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(data.shape(), (std::vector<int>{2, 3, 4, 5}));
  const int expected[3][2] = {{0, 1}, {2, 3}, {4, 0}};
  for (const auto& batch : expected) {
    layer.forward({}, {&data, &label});
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(label.cpu_data()[i], batch[i]);
      const Image image = test::make_image(4, 5, 3, batch[i]);
      for (int c = 0; c < 3; ++c)
        for (int h = 0; h < 4; ++h)
          for (int w = 0; w < 5; ++w) ASSERT_EQ(data.cpu_data()[data.offset(i, c, h, w)], image.at(h, w, c));
    }
  }
  EXPECT_EQ(layer.skipped(), 0);
}

TEST_F(DataLayerTest, TransformAndLegacyFields) {
  write_raw(3);
  LayerParameter p = param(3);
  // Legacy data_param fields fill in what transform_param leaves unset.
  p.mutable_data_param()->set_crop_size(2);
  p.mutable_data_param()->set_scale(100.f);
  p.mutable_transform_param()->set_scale(0.5f);
  p.mutable_transform_param()->add_mean_value(10.f);
  DataLayer layer(p);
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(data.shape(), (std::vector<int>{3, 3, 2, 2}));
  layer.forward({}, {&data, &label});
  // Centre crop of 4 x 5 starts at (1, 1).
  const Image image = test::make_image(4, 5, 3, 2);
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 2; ++w)
        EXPECT_FLOAT_EQ(data.cpu_data()[data.offset(2, c, h, w)], (image.at(h + 1, w + 1, c) - 10.f) * 0.5f);
}

TEST_F(DataLayerTest, RestoredReadPositionContinuesTheStream) {
  write_raw(5);
  LayerParameter p = param(2, TRAIN);
  p.mutable_transform_param()->set_crop_size(3);
  p.mutable_transform_param()->set_mirror(true);
  auto run = [&](DataLayer* layer, int batches, const std::string& restore) {
    Blob data, label;
    layer->setup({}, {&data, &label});
    if (!restore.empty()) layer->restore_state(restore);
    std::vector<std::vector<float>> out;
    for (int b = 0; b < batches; ++b) {
      layer->forward({}, {&data, &label});
      out.push_back(test::batch_contents(data, label));
    }
    return out;
  };
  Context::get().set_random_seed(3);
  DataLayer original(p);
  const auto uninterrupted = run(&original, 7, "");
  Context::get().set_random_seed(3);
  DataLayer first(p);
  run(&first, 4, "");  // 8 records: into the second pass over 5
  Context::get().set_random_seed(42);
  p.mutable_data_param()->set_decode_threads(1);  // crops do not depend on the thread count
  DataLayer resumed(p);
  const auto rest = run(&resumed, 3, first.save_state());
  for (int b = 0; b < 3; ++b) EXPECT_EQ(rest[b], uninterrupted[4 + b]) << "batch " << 4 + b;
}

TEST_F(DataLayerTest, UnreadableRecordsAreSkippedAndCounted) {
  {
    LmdbWriter writer(db());
    for (int i = 0; i < 8; ++i) {
      Datum datum;
      const Image image = test::make_image(4, 5, 3, i);
      if (i == 0) {
        writer.put(key_of(i), "not a datum");  // also exercises the skip during setup
        continue;
      }
      if (i == 3) {
        encoded_to_datum(encode_png(image).substr(0, 30), image, i, &datum);
      } else if (i == 5) {
        image_to_datum(test::make_image(5, 5, 3, i), i, &datum);  // another shape
      } else {
        encoded_to_datum(encode_png(image), image, i, &datum);
      }
      writer.put(key_of(i), datum.SerializeAsString());
    }
  }
  DataLayer layer(param(4));
  Blob data, label;
  layer.setup({}, {&data, &label});
  std::vector<int> seen;
  for (int b = 0; b < 3; ++b) {
    layer.forward({}, {&data, &label});
    for (int i = 0; i < 4; ++i) seen.push_back(static_cast<int>(label.cpu_data()[i]));
  }
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 4, 6, 7, 1, 2, 4, 6, 7, 1, 2}));
  // 0 at setup; then 0, 3, 5 in each of two passes and 3 of the third (at least).
  EXPECT_GE(layer.skipped(), 7);
}

TEST_F(DataLayerTest, RegisteredAndStopsCleanly) {
  write_raw(4);
  for (int i = 0; i < 3; ++i) {
    auto layer = create_layer(param(3));
    EXPECT_STREQ(layer->type(), "Data");
    Blob data, label;
    layer->setup({}, {&data, &label});
    if (i == 1) layer->forward({}, {&data, &label});
  }
}

TEST_F(DataLayerTest, Errors) {
  LayerParameter p = param(2);
  std::string message = setup_error(p);
  EXPECT_NE(message.find(db()), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  EXPECT_NE(message.find("layer \"data\""), std::string::npos) << message;

  write_raw(2);
  p.mutable_data_param()->set_backend(DataParameter::LEVELDB);
  message = setup_error(p);
  EXPECT_NE(message.find("LEVELDB is not supported"), std::string::npos) << message;

  p = param(0);
  message = setup_error(p);
  EXPECT_NE(message.find("batch_size must be positive"), std::string::npos) << message;

  p = param(2);
  p.mutable_transform_param()->add_mean_value(1.f);
  p.mutable_transform_param()->add_mean_value(2.f);
  message = setup_error(p);
  EXPECT_NE(message.find("2 mean_value entries for 3-channel"), std::string::npos) << message;

  p = param(2);
  p.mutable_transform_param()->set_crop_size(6);
  message = setup_error(p);
  EXPECT_NE(message.find("crop_size 6 exceeds"), std::string::npos) << message;

  {
    LmdbWriter writer(dir_.path("junk"));
    writer.put("a", "not a datum");
    writer.put("b", "not one either");
  }
  p = param(2);
  p.mutable_data_param()->set_source(dir_.path("junk"));
  message = setup_error(p);
  EXPECT_NE(message.find("none of the 2 items"), std::string::npos) << message;
}

// hwgq test --iterations=0 covers the source once from this count, seen through Layer.
TEST_F(DataLayerTest, SourceSizeIsTheRecordCount) {
  write_raw(5);
  DataLayer layer(param(2));
  EXPECT_EQ(static_cast<const Layer&>(layer).source_size(), -1) << "unknown before setup";
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(static_cast<const Layer&>(layer).source_size(), 5);
}

}  // namespace
}  // namespace hwgq
