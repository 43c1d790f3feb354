// The image pipeline end to end: small JPEG and PNG files -> convert_imageset (raw and
// encoded LMDBs) -> Data, and the same files -> ImageData; both must give the same
// batches. Also the mean image and transforms through the layers.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <set>

#include "data/data_test_util.hpp"
#include "hwgq/data/convert_imageset.hpp"
#include "hwgq/data/image_mean.hpp"
#include "hwgq/layers/data_layer.hpp"
#include "hwgq/layers/image_data_layer.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

constexpr int kImages = 30;
constexpr int kHeight = 10;
constexpr int kWidth = 12;

class DataPipelineTest : public ::testing::Test {
 protected:
  // kImages files, alternating JPEG and PNG, labels 100 + i, three of the PNGs gray; and
  // one corrupt JPEG listed in the middle. (A gray JPEG would differ between raw and
  // encoded databases: storing it as colour means encoding it again, with JPEG's losses.)
  void SetUp() override {
    ASSERT_EQ(::mkdir(dir_.path("images").c_str(), 0755), 0);
    std::ofstream list(list_path());
    for (int i = 0; i < kImages; ++i) {
      const Image image = test::make_image(kHeight, kWidth, i % 10 == 5 ? 1 : 3, i);
      const bool jpeg = i % 2 == 0;
      const std::string name = "im " + std::to_string(i) + (jpeg ? ".jpg" : ".png");
      test::write_bytes(dir_.path("images/" + name), jpeg ? encode_jpeg(image, 90) : encode_png(image));
      list << name << " " << 100 + i << "\n";
      if (i == 13) {
        test::write_bytes(dir_.path("images/corrupt.jpg"), encode_jpeg(image).substr(0, 40));
        list << "corrupt.jpg 7\n";
      }
    }
  }

  std::string list_path() const { return dir_.path("list.txt"); }
  std::string root() const { return dir_.path("images") + "/"; }

  std::string convert(const std::string& name, ConvertImagesetOptions options) {
    const std::string db = dir_.path(name);
    const ConvertImagesetResult result = convert_imageset(root(), list_path(), db, options);
    EXPECT_EQ(result.written, kImages);
    EXPECT_EQ(result.skipped, 1);
    return db;
  }

  LayerParameter data_param(const std::string& db, int batch_size, const TransformationParameter& t) const {
    LayerParameter p;
    p.set_name("data");
    p.set_type("Data");
    p.set_phase(TEST);
    p.mutable_data_param()->set_source(db);
    p.mutable_data_param()->set_batch_size(batch_size);
    p.mutable_data_param()->set_backend(DataParameter::LMDB);
    p.mutable_data_param()->set_decode_threads(3);
    *p.mutable_transform_param() = t;
    return p;
  }

  LayerParameter image_param(int batch_size, const TransformationParameter& t) const {
    LayerParameter p;
    p.set_name("images");
    p.set_type("ImageData");
    p.set_phase(TEST);
    p.mutable_image_data_param()->set_source(list_path());
    p.mutable_image_data_param()->set_root_folder(root());
    p.mutable_image_data_param()->set_batch_size(batch_size);
    p.mutable_image_data_param()->set_decode_threads(2);
    *p.mutable_transform_param() = t;
    return p;
  }

  // Data and labels of `batches` consecutive batches.
  static std::pair<std::vector<float>, std::vector<float>> batches(Layer& layer, int count) {
    Blob data, label;
    layer.setup({}, {&data, &label});
    std::vector<float> values, labels;
    for (int b = 0; b < count; ++b) {
      layer.forward({}, {&data, &label});
      values.insert(values.end(), data.cpu_data(), data.cpu_data() + data.count());
      labels.insert(labels.end(), label.cpu_data(), label.cpu_data() + label.count());
    }
    return {values, labels};
  }

  test::ScratchDir dir_;
};

TEST_F(DataPipelineTest, DataAndImageDataGiveTheSameBatches) {
  TransformationParameter t;
  t.set_scale(0.25f);
  t.add_mean_value(100.f);
  t.add_mean_value(110.f);
  t.add_mean_value(120.f);
  t.set_crop_size(8);

  ConvertImagesetOptions raw_options;
  const std::string raw = convert("raw_db", raw_options);
  ConvertImagesetOptions encoded_options;
  encoded_options.encoded = true;
  const std::string encoded = convert("encoded_db", encoded_options);

  DataLayer from_raw(data_param(raw, 7, t));
  DataLayer from_encoded(data_param(encoded, 7, t));
  ImageDataLayer from_files(image_param(7, t));
  // 5 batches of 7 cross the end of the 30 images.
  const auto a = batches(from_raw, 5);
  const auto b = batches(from_encoded, 5);
  const auto c = batches(from_files, 5);
  EXPECT_EQ(from_raw.item_shape(), (std::vector<int>{3, 8, 8}));
  std::vector<float> expected_labels;
  for (int i = 0; i < 35; ++i) expected_labels.push_back(100 + i % kImages);
  EXPECT_EQ(a.second, expected_labels);
  EXPECT_EQ(b.second, expected_labels);
  EXPECT_EQ(c.second, expected_labels);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.first, c.first);
  // The corrupt file, once per pass that prefetching reached.
  EXPECT_GE(from_files.skipped(), 1);

  // Check one item by hand: image 3 (a PNG, so exact), centre crop at (1, 2).
  const Image image = test::make_image(kHeight, kWidth, 3, 3);
  const float* item = a.first.data() + 3 * 3 * 8 * 8;
  for (int ch = 0; ch < 3; ++ch)
    for (int h = 0; h < 8; ++h)
      for (int w = 0; w < 8; ++w)
        ASSERT_FLOAT_EQ(item[(ch * 8 + h) * 8 + w], (image.at(h + 1, w + 2, ch) - (100.f + 10 * ch)) * 0.25f);
}

TEST_F(DataPipelineTest, ResizedGrayImagesAgreeToo) {
  ConvertImagesetOptions options;
  options.resize_height = 6;
  options.resize_width = 9;
  options.gray = true;
  const std::string raw = convert("raw_db", options);
  options.encoded = true;
  options.encode_type = "png";
  const std::string encoded = convert("png_db", options);

  TransformationParameter t;
  LayerParameter files = image_param(10, t);
  files.mutable_image_data_param()->set_new_height(6);
  files.mutable_image_data_param()->set_new_width(9);
  files.mutable_image_data_param()->set_is_color(false);
  DataLayer from_raw(data_param(raw, 10, t));
  DataLayer from_encoded(data_param(encoded, 10, t));
  ImageDataLayer from_files(files);
  const auto a = batches(from_raw, 3);
  EXPECT_EQ(from_raw.item_shape(), (std::vector<int>{1, 6, 9}));
  EXPECT_EQ(a, batches(from_encoded, 3));
  EXPECT_EQ(a, batches(from_files, 3));
}

TEST_F(DataPipelineTest, MeanImageFromRawAndEncodedAndAsMeanFile) {
  ConvertImagesetOptions options;
  const std::string raw = convert("raw_db", options);
  options.encoded = true;
  const std::string encoded = convert("encoded_db", options);
  const ImageMean raw_mean = compute_image_mean(raw);
  const ImageMean encoded_mean = compute_image_mean(encoded);
  EXPECT_EQ(raw_mean.count, kImages);
  EXPECT_EQ(raw_mean.mean.SerializeAsString(), encoded_mean.mean.SerializeAsString());
  ASSERT_EQ(raw_mean.channel_means.size(), 3u);

  // By hand, from the decoded files (gray ones count in every channel).
  std::vector<double> sum(3 * kHeight * kWidth, 0.0);
  for (int i = 0; i < kImages; ++i) {
    const std::string name = "im " + std::to_string(i) + (i % 2 == 0 ? ".jpg" : ".png");
    const Image image = read_image(dir_.path("images/" + name), ColorMode::Color);
    for (int ch = 0; ch < 3; ++ch)
      for (int h = 0; h < kHeight; ++h)
        for (int w = 0; w < kWidth; ++w) sum[(ch * kHeight + h) * kWidth + w] += image.at(h, w, ch);
  }
  for (size_t i = 0; i < sum.size(); ++i) ASSERT_NEAR(raw_mean.mean.data(i), sum[i] / kImages, 1e-4);

  // With the mean as mean_file, a batch of the whole set averages to zero everywhere.
  write_binary_proto(raw_mean.mean, dir_.path("mean.binaryproto"));
  TransformationParameter t;
  t.set_mean_file(dir_.path("mean.binaryproto"));
  DataLayer layer(data_param(raw, kImages, t));
  const auto all = batches(layer, 1);
  const int item = 3 * kHeight * kWidth;
  for (int j = 0; j < item; ++j) {
    double total = 0;
    for (int n = 0; n < kImages; ++n) total += all.first[n * item + j];
    ASSERT_NEAR(total / kImages, 0.0, 1e-4);
  }
}

TEST_F(DataPipelineTest, TrainCropsAndMirrorsAreWindowsOfTheImageAndFollowTheSeed) {
  ConvertImagesetOptions options;
  const std::string raw = convert("raw_db", options);
  TransformationParameter t;
  t.set_crop_size(5);
  t.set_mirror(true);
  LayerParameter p = data_param(raw, 10, t);
  p.set_phase(TRAIN);

  Context::get().set_random_seed(11);
  DataLayer layer(p);
  const auto first = batches(layer, 3);
  Context::get().set_random_seed(11);
  DataLayer again(p);
  EXPECT_EQ(batches(again, 3), first);

  int mirrored = 0;
  std::set<std::pair<int, int>> offsets;
  for (int n = 0; n < 30; ++n) {
    const int index = static_cast<int>(first.second[n]) - 100;
    const Image image = convert_color(
        decode_image(read_file(dir_.path("images/im " + std::to_string(index) + (index % 2 == 0 ? ".jpg" : ".png"))),
                     ColorMode::Color, "image"),
        ColorMode::Color);
    const float* out = first.first.data() + n * 3 * 25;
    bool found = false;
    for (int flip = 0; flip < 2 && !found; ++flip)
      for (int dh = 0; dh <= kHeight - 5 && !found; ++dh)
        for (int dw = 0; dw <= kWidth - 5 && !found; ++dw) {
          bool match = true;
          for (int ch = 0; ch < 3 && match; ++ch)
            for (int h = 0; h < 5 && match; ++h)
              for (int w = 0; w < 5 && match; ++w)
                match = out[(ch * 5 + h) * 5 + (flip ? 4 - w : w)] == image.at(h + dh, w + dw, ch);
          if (match) {
            found = true;
            mirrored += flip;
            offsets.insert({dh, dw});
          }
        }
    EXPECT_TRUE(found) << "item " << n << " is no crop window of image " << index;
  }
  EXPECT_GT(mirrored, 0);
  EXPECT_LT(mirrored, 30);
  EXPECT_GT(offsets.size(), 5u);
}

}  // namespace
}  // namespace hwgq
