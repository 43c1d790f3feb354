#include "hwgq/data/data_transformer.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "data/data_test_util.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

// A C x H x W image whose value at (c, h, w) is 100c + 10h + w.
std::vector<uint8_t> coded_image(int channels, int height, int width) {
  std::vector<uint8_t> image(channels * height * width);
  for (int c = 0; c < channels; ++c)
    for (int h = 0; h < height; ++h)
      for (int w = 0; w < width; ++w) image[(c * height + h) * width + w] = static_cast<uint8_t>(100 * c + 10 * h + w);
  return image;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DataTransformer, MeanValuePerChannelThenScale) {
  TransformationParameter p;
  p.set_scale(0.5f);
  p.add_mean_value(1.f);
  p.add_mean_value(2.f);
  DataTransformer transformer(p, TRAIN);
  const auto image = coded_image(2, 2, 3);
  transformer.check_input(2, 2, 3);
  EXPECT_EQ(transformer.output_shape(2, 2, 3), (std::vector<int>{2, 2, 3}));
  std::vector<float> out(12);
  std::mt19937_64 rng(1);
  transformer.transform(image.data(), PixelLayout::chw(2, 2, 3), 2, 2, 3, out.data(), rng);
  for (int c = 0; c < 2; ++c)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w)
        EXPECT_FLOAT_EQ(out[(c * 2 + h) * 3 + w], (100 * c + 10 * h + w - (c + 1.f)) * 0.5f);
}

TEST(DataTransformer, OneMeanValueServesEveryChannel) {
  TransformationParameter p;
  p.add_mean_value(5.f);
  DataTransformer transformer(p, TEST);
  const auto image = coded_image(3, 1, 2);
  transformer.check_input(3, 1, 2);
  std::vector<float> out(6);
  std::mt19937_64 rng(1);
  transformer.transform(image.data(), PixelLayout::chw(3, 1, 2), 3, 1, 2, out.data(), rng);
  EXPECT_EQ(out, (std::vector<float>{-5, -4, 95, 96, 195, 196}));
}

TEST(DataTransformer, MeanFileIsSubtractedAtTheSourcePixelOfTheCrop) {
  test::ScratchDir dir;
  BlobProto mean;
  mean.set_num(1);
  mean.set_channels(1);
  mean.set_height(4);
  mean.set_width(4);
  for (int i = 0; i < 16; ++i) mean.add_data(i * 0.25f);
  write_binary_proto(mean, dir.path("mean.binaryproto"));

  TransformationParameter p;
  p.set_mean_file(dir.path("mean.binaryproto"));
  p.set_crop_size(2);
  p.set_scale(2.f);
  DataTransformer transformer(p, TEST);
  transformer.check_input(1, 4, 4);
  const auto image = coded_image(1, 4, 4);
  std::vector<float> out(4);
  std::mt19937_64 rng(1);
  transformer.transform(image.data(), PixelLayout::chw(1, 4, 4), 1, 4, 4, out.data(), rng);
  // The centre crop starts at (1, 1).
  for (int h = 0; h < 2; ++h)
    for (int w = 0; w < 2; ++w) {
      const int src = (h + 1) * 4 + (w + 1);
      EXPECT_FLOAT_EQ(out[h * 2 + w], (10 * (h + 1) + (w + 1) - src * 0.25f) * 2.f);
    }
}

TEST(DataTransformer, CentreCropInTest) {
  TransformationParameter p;
  p.set_crop_size(2);
  DataTransformer transformer(p, TEST);
  const auto image = coded_image(2, 4, 5);
  EXPECT_EQ(transformer.output_shape(2, 4, 5), (std::vector<int>{2, 2, 2}));
  std::vector<float> out(8);
  std::mt19937_64 rng(1);
  transformer.transform(image.data(), PixelLayout::chw(2, 4, 5), 2, 4, 5, out.data(), rng);
  // Offsets (4 - 2) / 2 = 1 and (5 - 2) / 2 = 1.
  EXPECT_EQ(out, (std::vector<float>{11, 12, 21, 22, 111, 112, 121, 122}));
}

TEST(DataTransformer, RandomCropInTrainVisitsEveryWindowAndFollowsTheGenerator) {
  TransformationParameter p;
  p.set_crop_size(2);
  DataTransformer transformer(p, TRAIN);
  const auto image = coded_image(1, 3, 4);
  std::mt19937_64 rng(7), replay(7);
  std::set<std::pair<int, int>> windows;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> out(4), again(4);
    transformer.transform(image.data(), PixelLayout::chw(1, 3, 4), 1, 3, 4, out.data(), rng);
    transformer.transform(image.data(), PixelLayout::chw(1, 3, 4), 1, 3, 4, again.data(), replay);
    EXPECT_EQ(out, again);
    const int h_off = static_cast<int>(out[0]) / 10, w_off = static_cast<int>(out[0]) % 10;
    ASSERT_LE(h_off, 1);
    ASSERT_LE(w_off, 2);
    EXPECT_EQ(out, (std::vector<float>{out[0], out[0] + 1, out[0] + 10, out[0] + 11}));
    windows.insert({h_off, w_off});
  }
  EXPECT_EQ(windows.size(), 6u);
}

TEST(DataTransformer, MirrorFlipsRowsAboutHalfTheTime) {
  TransformationParameter p;
  p.set_mirror(true);
  DataTransformer transformer(p, TRAIN);
  const auto image = coded_image(2, 2, 3);
  std::mt19937_64 rng(3);
  int mirrored = 0;
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<float> out(12);
    transformer.transform(image.data(), PixelLayout::chw(2, 2, 3), 2, 2, 3, out.data(), rng);
    if (out[0] == 2.f) {
      ++mirrored;
      EXPECT_EQ(out, (std::vector<float>{2, 1, 0, 12, 11, 10, 102, 101, 100, 112, 111, 110}));
    } else {
      EXPECT_EQ(out, (std::vector<float>{0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112}));
    }
  }
  EXPECT_GT(mirrored, 25);
  EXPECT_LT(mirrored, 75);
}

TEST(DataTransformer, InterleavedAndFloatInputsMatchPlanarBytes) {
  TransformationParameter p;
  p.set_crop_size(3);
  p.set_mirror(true);
  p.set_scale(0.1f);
  p.add_mean_value(4.f);
  p.add_mean_value(5.f);
  p.add_mean_value(6.f);
  DataTransformer transformer(p, TRAIN);
  const int C = 3, H = 4, W = 5;
  const auto planar = coded_image(C, H, W);
  std::vector<uint8_t> interleaved(planar.size());
  std::vector<float> floats(planar.begin(), planar.end());
  for (int c = 0; c < C; ++c)
    for (int h = 0; h < H; ++h)
      for (int w = 0; w < W; ++w) interleaved[(h * W + w) * C + c] = planar[(c * H + h) * W + w];
  for (int trial = 0; trial < 10; ++trial) {
    std::mt19937_64 a(trial), b(trial), f(trial);
    std::vector<float> from_planar(27), from_interleaved(27), from_floats(27);
    transformer.transform(planar.data(), PixelLayout::chw(C, H, W), C, H, W, from_planar.data(), a);
    transformer.transform(interleaved.data(), PixelLayout::hwc(C, H, W), C, H, W, from_interleaved.data(), b);
    transformer.transform(floats.data(), PixelLayout::chw(C, H, W), C, H, W, from_floats.data(), f);
    EXPECT_EQ(from_planar, from_interleaved);
    EXPECT_EQ(from_planar, from_floats);
  }
}

TEST(DataTransformer, Errors) {
  TransformationParameter both;
  both.set_mean_file("mean.binaryproto");
  both.add_mean_value(1.f);
  EXPECT_NE(error_of([&] { DataTransformer(both, TRAIN, "layer \"data\" (Data): "); }).find("layer \"data\""),
            std::string::npos);

  TransformationParameter two_values;
  two_values.add_mean_value(1.f);
  two_values.add_mean_value(2.f);
  std::string message = error_of([&] { DataTransformer(two_values, TRAIN).check_input(3, 4, 4); });
  EXPECT_NE(message.find("2 mean_value entries for 3-channel"), std::string::npos) << message;

  TransformationParameter crop;
  crop.set_crop_size(5);
  message = error_of([&] { DataTransformer(crop, TRAIN).check_input(1, 4, 6); });
  EXPECT_NE(message.find("crop_size 5 exceeds the image size 1 x 4 x 6"), std::string::npos) << message;

  test::ScratchDir dir;
  TransformationParameter missing;
  missing.set_mean_file(dir.path("absent.binaryproto"));
  message = error_of([&] { DataTransformer(missing, TRAIN); });
  EXPECT_NE(message.find(dir.path("absent.binaryproto")), std::string::npos) << message;

  BlobProto mean;
  mean.mutable_shape()->add_dim(1);
  mean.mutable_shape()->add_dim(3);
  mean.mutable_shape()->add_dim(2);
  mean.mutable_shape()->add_dim(2);
  for (int i = 0; i < 12; ++i) mean.add_data(0.f);
  write_binary_proto(mean, dir.path("mean.binaryproto"));
  TransformationParameter mismatch;
  mismatch.set_mean_file(dir.path("mean.binaryproto"));
  message = error_of([&] { DataTransformer(mismatch, TRAIN).check_input(3, 4, 4); });
  EXPECT_NE(message.find("3 x 2 x 2 (12)"), std::string::npos) << message;
  EXPECT_NE(message.find("3 x 4 x 4 (48)"), std::string::npos) << message;
}

}  // namespace
}  // namespace hwgq
