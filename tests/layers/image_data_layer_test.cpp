#include "hwgq/layers/image_data_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "data/data_test_util.hpp"
#include "hwgq/data/image_resize.hpp"
#include "hwgq/layer_registry.hpp"

namespace hwgq {
namespace {

class ImageDataLayerTest : public ::testing::Test {
 protected:
  // Images img0.png .. img{n-1}.png (12 x 10, colour), labels 10 + i.
  void write_images(int n) {
    std::ofstream list(list_path());
    for (int i = 0; i < n; ++i) {
      const std::string name = "img" + std::to_string(i) + ".png";
      test::write_bytes(dir_.path(name), encode_png(test::make_image(10, 12, 3, i)));
      list << name << " " << 10 + i << "\n";
    }
  }
  std::string list_path() const { return dir_.path("list.txt"); }

  LayerParameter param(int batch_size, Phase phase = TEST) const {
    LayerParameter p;
    p.set_name("images");
    p.set_type("ImageData");
    p.set_phase(phase);
    auto* ip = p.mutable_image_data_param();
    ip->set_source(list_path());
    ip->set_root_folder(dir_.root() + "/");
    ip->set_batch_size(batch_size);
    ip->set_decode_threads(3);
    return p;
  }

  std::vector<int> labels(const LayerParameter& p, int batches) {
    ImageDataLayer layer(p);
    Blob data, label;
    layer.setup({}, {&data, &label});
    std::vector<int> seen;
    for (int b = 0; b < batches; ++b) {
      layer.forward({}, {&data, &label});
      for (int i = 0; i < label.count(); ++i) seen.push_back(static_cast<int>(label.cpu_data()[i]));
    }
    return seen;
  }

  std::string setup_error(const LayerParameter& p) {
    try {
      ImageDataLayer layer(p);
      Blob data, label;
      layer.setup({}, {&data, &label});
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  test::ScratchDir dir_;
};

TEST_F(ImageDataLayerTest, ValuesLabelsAndWrapAround) {
  write_images(5);
  ImageDataLayer layer(param(3));
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(data.shape(), (std::vector<int>{3, 3, 10, 12}));
  const int expected[2][3] = {{0, 1, 2}, {3, 4, 0}};
  for (const auto& batch : expected) {
    layer.forward({}, {&data, &label});
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(label.cpu_data()[i], 10 + batch[i]);
      const Image image = test::make_image(10, 12, 3, batch[i]);
      for (int c = 0; c < 3; ++c)
        for (int h = 0; h < 10; ++h)
          for (int w = 0; w < 12; ++w) ASSERT_EQ(data.cpu_data()[data.offset(i, c, h, w)], image.at(h, w, c));
    }
  }
}

TEST_F(ImageDataLayerTest, ResizeAndGray) {
  write_images(2);
  LayerParameter p = param(2);
  p.mutable_image_data_param()->set_new_height(5);
  p.mutable_image_data_param()->set_new_width(7);
  p.mutable_image_data_param()->set_is_color(false);
  ImageDataLayer layer(p);
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(data.shape(), (std::vector<int>{2, 1, 5, 7}));
  layer.forward({}, {&data, &label});
  const Image expected =
      resize_bilinear(convert_color(test::make_image(10, 12, 3, 1), ColorMode::Gray), 5, 7);
  for (int h = 0; h < 5; ++h)
    for (int w = 0; w < 7; ++w) EXPECT_EQ(data.cpu_data()[data.offset(1, 0, h, w)], expected.at(h, w, 0));
}

TEST_F(ImageDataLayerTest, ShuffleFollowsTheSeedAndCoversEveryImageEachEpoch) {
  write_images(7);
  LayerParameter p = param(7, TRAIN);
  p.mutable_image_data_param()->set_shuffle(true);
  Context::get().set_random_seed(5);
  const std::vector<int> first = labels(p, 3);
  Context::get().set_random_seed(5);
  EXPECT_EQ(labels(p, 3), first);
  for (int e = 0; e < 3; ++e) {
    std::vector<int> epoch(first.begin() + 7 * e, first.begin() + 7 * (e + 1));
    std::sort(epoch.begin(), epoch.end());
    EXPECT_EQ(epoch, (std::vector<int>{10, 11, 12, 13, 14, 15, 16}));
  }
  EXPECT_NE(std::vector<int>(first.begin(), first.begin() + 7), std::vector<int>(first.begin() + 7, first.begin() + 14));
}

// Random crops, mirrors and the shuffled order, batch after batch (data then labels).
std::vector<std::vector<float>> random_batches(ImageDataLayer* layer, int batches) {
  Blob data, label;
  layer->setup({}, {&data, &label});
  std::vector<std::vector<float>> out;
  for (int b = 0; b < batches; ++b) {
    layer->forward({}, {&data, &label});
    out.push_back(test::batch_contents(data, label));
  }
  return out;
}

TEST_F(ImageDataLayerTest, RandomTransformsDoNotDependOnDecodeThreads) {
  write_images(7);
  LayerParameter p = param(3, TRAIN);
  p.mutable_image_data_param()->set_shuffle(true);
  p.mutable_transform_param()->set_crop_size(6);
  p.mutable_transform_param()->set_mirror(true);
  std::vector<std::vector<float>> by_threads[2];
  for (int t = 0; t < 2; ++t) {
    p.mutable_image_data_param()->set_decode_threads(t == 0 ? 1 : 3);
    Context::get().set_random_seed(11);
    ImageDataLayer layer(p);
    by_threads[t] = random_batches(&layer, 5);
  }
  EXPECT_EQ(by_threads[0], by_threads[1]);
}

TEST_F(ImageDataLayerTest, RestoredReadPositionContinuesTheStream) {
  write_images(7);
  LayerParameter p = param(3, TRAIN);
  p.mutable_image_data_param()->set_shuffle(true);
  p.mutable_transform_param()->set_crop_size(6);
  p.mutable_transform_param()->set_mirror(true);
  Context::get().set_random_seed(5);
  ImageDataLayer original(p);
  const auto uninterrupted = random_batches(&original, 6);

  // Three batches (9 items: past the first epoch of 7), then the state is saved.
  Context::get().set_random_seed(5);
  ImageDataLayer first(p);
  random_batches(&first, 3);
  const std::string state = first.save_state();

  Context::get().set_random_seed(99);  // a different run: everything comes from the state
  ImageDataLayer resumed(p);
  Blob data, label;
  resumed.setup({}, {&data, &label});
  resumed.restore_state(state);
  for (int b = 3; b < 6; ++b) {
    resumed.forward({}, {&data, &label});
    EXPECT_EQ(test::batch_contents(data, label), uninterrupted[b]) << "batch " << b;
  }
  EXPECT_EQ(resumed.save_state(), original.save_state());
  try {
    resumed.restore_state("not a position");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read the saved read position"), std::string::npos) << e.what();
  }
}

TEST_F(ImageDataLayerTest, UnreadableImagesAreSkipped) {
  write_images(4);
  test::write_bytes(dir_.path("broken.jpg"), encode_jpeg(test::make_image(10, 12, 3, 9)).substr(0, 25));
  test::write_bytes(dir_.path("small.png"), encode_png(test::make_image(5, 5, 3, 9)));
  {
    std::ofstream list(list_path(), std::ios::app);
    list << "broken.jpg 1\nmissing.png 2\nsmall.png 3\n";
  }
  std::ofstream(list_path(), std::ios::app) << "img0.png 99\n";
  ImageDataLayer layer(param(4));
  Blob data, label;
  layer.setup({}, {&data, &label});
  std::vector<int> seen;
  for (int b = 0; b < 2; ++b) {
    layer.forward({}, {&data, &label});
    for (int i = 0; i < 4; ++i) seen.push_back(static_cast<int>(label.cpu_data()[i]));
  }
  EXPECT_EQ(seen, (std::vector<int>{10, 11, 12, 13, 99, 10, 11, 12}));
  EXPECT_GE(layer.skipped(), 3);
}

TEST_F(ImageDataLayerTest, ListParsing) {
  test::write_bytes(dir_.path("with space.png"), encode_png(test::make_image(10, 12, 3, 0)));
  test::write_bytes(list_path(), "\n  with space.png\t4  \r\n\n");
  EXPECT_EQ(labels(param(2), 1), (std::vector<int>{4, 4}));
}

TEST_F(ImageDataLayerTest, Errors) {
  LayerParameter p = param(2);
  std::string message = setup_error(p);
  EXPECT_NE(message.find(list_path()), std::string::npos) << message;

  test::write_bytes(list_path(), "a.png 1\nb.png\n");
  message = setup_error(p);
  EXPECT_NE(message.find(list_path() + ":2: expected \"path label\""), std::string::npos) << message;

  test::write_bytes(list_path(), "a.png one\n");
  message = setup_error(p);
  EXPECT_NE(message.find(":1: the label \"one\" is not an integer"), std::string::npos) << message;

  test::write_bytes(list_path(), "\n\n");
  message = setup_error(p);
  EXPECT_NE(message.find("names no images"), std::string::npos) << message;

  test::write_bytes(list_path(), "a.png 1\n");
  message = setup_error(p);
  EXPECT_NE(message.find("none of the 1 items"), std::string::npos) << message;

  write_images(1);
  p.mutable_image_data_param()->set_new_height(4);
  message = setup_error(p);
  EXPECT_NE(message.find("both new_height and new_width"), std::string::npos) << message;

  auto layer = create_layer(param(1));
  EXPECT_STREQ(layer->type(), "ImageData");
}

// hwgq test --iterations=0 covers the source once from this count, seen through Layer.
TEST_F(ImageDataLayerTest, SourceSizeIsTheListLength) {
  write_images(5);
  ImageDataLayer layer(param(3));
  Blob data, label;
  layer.setup({}, {&data, &label});
  EXPECT_EQ(static_cast<const Layer&>(layer).source_size(), 5);
}

}  // namespace
}  // namespace hwgq
