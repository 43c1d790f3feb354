#include "hwgq/data/image_io.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>

#include "data/data_test_util.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

int max_difference(const Image& a, const Image& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  int worst = 0;
  for (size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i) {
    worst = std::max(worst, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
  }
  return worst;
}

TEST(ImageIo, PngRoundTripIsExactAndKeepsChannelOrder) {
  for (int channels : {1, 3}) {
    const Image image = test::make_image(10, 12, channels, 3);
    const std::string png = encode_png(image);
    EXPECT_EQ(detect_image_format(png.data(), png.size()), ImageFormat::Png);
    const Image back = decode_image(png, ColorMode::Native, "test.png");
    EXPECT_EQ(back.height, 10);
    EXPECT_EQ(back.width, 12);
    EXPECT_EQ(back.channels, channels);
    EXPECT_EQ(back.pixels, image.pixels);
  }
}

TEST(ImageIo, JpegRoundTripIsClose) {
  for (int channels : {1, 3}) {
    const Image image = test::make_image(10, 12, channels, 5);
    const std::string jpeg = encode_jpeg(image, 100);
    EXPECT_EQ(detect_image_format(jpeg.data(), jpeg.size()), ImageFormat::Jpeg);
    const Image back = decode_image(jpeg, ColorMode::Native, "test.jpg");
    EXPECT_EQ(back.channels, channels);
    EXPECT_LE(max_difference(back, image), channels == 1 ? 2 : 8);
  }
}

TEST(ImageIo, ColourChannelsAreStoredBlueGreenRed) {
  // A pure red picture: the third channel carries it, in both formats.
  Image red;
  red.height = 8;
  red.width = 8;
  red.channels = 3;
  for (int i = 0; i < 64; ++i) red.pixels.insert(red.pixels.end(), {0, 0, 255});
  for (const std::string& bytes : {encode_png(red), encode_jpeg(red, 100)}) {
    const Image back = decode_image(bytes, ColorMode::Color, "red");
    EXPECT_LT(back.at(4, 4, 0), 10);
    EXPECT_LT(back.at(4, 4, 1), 10);
    EXPECT_GT(back.at(4, 4, 2), 245);
    // Gray is 0.299 R.
    const Image gray = decode_image(bytes, ColorMode::Gray, "red");
    EXPECT_EQ(gray.channels, 1);
    EXPECT_NEAR(gray.at(4, 4, 0), 76, 2);
  }
}

TEST(ImageIo, ColorModeConvertsGrayAndColour) {
  const Image gray = test::make_image(6, 7, 1, 1);
  const Image color = decode_image(encode_png(gray), ColorMode::Color, "gray.png");
  ASSERT_EQ(color.channels, 3);
  for (int h = 0; h < 6; ++h)
    for (int w = 0; w < 7; ++w)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(color.at(h, w, c), gray.at(h, w, 0));
  const Image bgr = test::make_image(6, 7, 3, 1);
  const Image to_gray = decode_image(encode_png(bgr), ColorMode::Gray, "color.png");
  ASSERT_EQ(to_gray.channels, 1);
  const int b = bgr.at(2, 3, 0), g = bgr.at(2, 3, 1), r = bgr.at(2, 3, 2);
  EXPECT_EQ(to_gray.at(2, 3, 0), (114 * b + 587 * g + 299 * r + 500) / 1000);
  EXPECT_EQ(decode_image(encode_jpeg(gray), ColorMode::Color, "gray.jpg").channels, 3);
  EXPECT_EQ(decode_image(encode_jpeg(bgr), ColorMode::Gray, "color.jpg").channels, 1);
}

TEST(ImageIo, CorruptImagesRaiseErrorsNamingTheOrigin) {
  const Image image = test::make_image(10, 12, 3, 2);
  const std::string jpeg = encode_jpeg(image);
  const std::string png = encode_png(image);
  std::string message = error_of([&] { decode_image(jpeg.substr(0, 20), ColorMode::Color, "cut.jpg"); });
  EXPECT_EQ(message.rfind("cut.jpg: cannot decode JPEG", 0), 0u) << message;
  message = error_of([&] { decode_image(png.substr(0, png.size() / 2), ColorMode::Color, "cut.png"); });
  EXPECT_EQ(message.rfind("cut.png: cannot decode PNG", 0), 0u) << message;
  std::string damaged = png;
  damaged[damaged.size() / 2] ^= 0x55;
  message = error_of([&] { decode_image(damaged, ColorMode::Color, "damaged.png"); });
  EXPECT_EQ(message.rfind("damaged.png: cannot decode PNG", 0), 0u) << message;
  message = error_of([&] { decode_image(std::string("GIF89a...."), ColorMode::Color, "x.gif"); });
  EXPECT_NE(message.find("not a JPEG or PNG"), std::string::npos) << message;
  message = error_of([&] { read_image("/nonexistent/hwgq/a.png", ColorMode::Color); });
  EXPECT_NE(message.find("/nonexistent/hwgq/a.png"), std::string::npos) << message;
  EXPECT_THROW(encode_image(image, "bmp"), Error);
}

}  // namespace
}  // namespace hwgq
