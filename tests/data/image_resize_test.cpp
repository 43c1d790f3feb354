#include "hwgq/data/image_resize.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "hwgq/common.hpp"

namespace hwgq {
namespace {

// 3-channel test image whose values are not linear in the position, so that every
// interpolated byte depends on the weights and the rounding.
Image pattern_image(int height, int width) {
  Image image;
  image.height = height;
  image.width = width;
  image.channels = 3;
  for (int h = 0; h < height; ++h)
    for (int w = 0; w < width; ++w)
      for (int c = 0; c < 3; ++c) image.pixels.push_back(uint8_t((h * 53 + w * 97 + c * 31 + h * w * 7) % 256));
  return image;
}

// The expected bytes below were computed once, independently of this code, with OpenCV
// 4.6.0 (Debian's python3-opencv): cv2.resize(pattern, (width, height),
// interpolation=cv2.INTER_LINEAR) on the same pattern image.

TEST(ImageResize, FiveByFourToThreeBySevenMatchesOpenCv) {
  const Image out = resize_bilinear(pattern_image(5, 4), 3, 7);
  EXPECT_EQ(out.height, 3);
  EXPECT_EQ(out.width, 7);
  EXPECT_EQ(out.channels, 3);
  const std::vector<uint8_t> expected = {
      18,  49,  80,  53,  84,  115, 110, 141, 172, 124, 155, 100, 126, 157, 29, 85,  116, 86, 60,  90,  122,
      106, 137, 168, 146, 177, 116, 209, 240, 33,  145, 176, 79,  80,  111, 142, 143, 174, 205, 183, 214, 245,
      194, 225, 85,  147, 178, 99,  70,  101, 120, 122, 153, 99,  174, 205, 77, 98,  129, 99, 50,  81,  112};
  EXPECT_EQ(out.pixels, expected);
}

TEST(ImageResize, FourByFourToEightByEightMatchesOpenCv) {
  const Image out = resize_bilinear(pattern_image(4, 4), 8, 8);
  const std::vector<uint8_t> expected = {
      0,   31,  62,  24,  55,  86,  73,  104, 135, 121, 152, 119, 170, 201, 40,  154, 185, 24,  75,  106, 73,  35,  66,  97,
      13,  44,  75,  38,  69,  100, 87,  118, 149, 121, 152, 135, 138, 169, 56,  123, 154, 41,  77,  108, 91,  54,  85,  116,
      40,  71,  102, 65,  96,  127, 116, 147, 178, 120, 151, 166, 75,  106, 89,  62,  93,  76,  81,  112, 127, 91,  122, 153,
      66,  97,  128, 93,  124, 139, 146, 177, 160, 134, 165, 148, 59,  90,  105, 48,  79,  110, 101, 132, 163, 128, 159, 190,
      93,  124, 155, 120, 151, 134, 175, 206, 93,  165, 196, 83,  92,  123, 106, 83,  114, 145, 137, 168, 199, 165, 196, 227,
      119, 150, 181, 131, 162, 145, 156, 187, 74,  148, 179, 66,  108, 139, 122, 101, 132, 163, 125, 156, 187, 138, 169, 200,
      146, 177, 208, 127, 158, 173, 89,  120, 103, 83,  114, 97,  109, 140, 155, 103, 134, 165, 65,  96,  127, 47,  78,  109,
      159, 190, 221, 124, 155, 186, 55,  86,  117, 50,  81,  112, 109, 140, 171, 104, 135, 166, 35,  66,  97,  1,   32,  63};
  EXPECT_EQ(out.pixels, expected);
}

TEST(ImageResize, SixBySixToFourByFourMatchesOpenCv) {
  const Image out = resize_bilinear(pattern_image(6, 6), 4, 4);
  const std::vector<uint8_t> expected = {
      38,  69,  100, 138, 169, 56,  78,  109, 124, 178, 65,  80,  120, 151, 134, 92,  123, 106, 144, 175, 190, 116, 147, 162,
      138, 169, 152, 126, 157, 140, 49,  80,  95,  181, 68,  83,  76,  107, 90,  80,  111, 94,  115, 146, 161, 118, 149, 164};
  EXPECT_EQ(out.pixels, expected);
}

TEST(ImageResize, HandValuesAndTwoByTwoAverages) {
  Image small;
  small.height = 2;
  small.width = 2;
  small.channels = 1;
  small.pixels = {0, 100, 200, 255};
  const Image big = resize_bilinear(small, 4, 4);
  // Source coordinates of the outputs: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped).
  const std::vector<uint8_t> expected = {
      0,   25,  75,  100,  // row 0 = source row 0
      50,  72,  117, 139,  // 0.75 row 0 + 0.25 row 1
      150, 167, 200, 216,  // 0.25 row 0 + 0.75 row 1
      200, 214, 241, 255,  // row 1
  };
  EXPECT_EQ(big.pixels, expected);

  // Halving samples half way between source pixels: the mean of each 2 x 2 block, halves
  // rounded up.
  Image grid;
  grid.height = 4;
  grid.width = 4;
  grid.channels = 3;
  for (int h = 0; h < 4; ++h)
    for (int w = 0; w < 4; ++w) grid.pixels.insert(grid.pixels.end(), {uint8_t(10 * h + w), 7, uint8_t(4 * w)});
  const Image half = resize_bilinear(grid, 2, 2);
  EXPECT_EQ(half.at(0, 0, 0), 6);   // (0 + 1 + 10 + 11) / 4 = 5.5
  EXPECT_EQ(half.at(1, 1, 0), 28);  // (22 + 23 + 32 + 33) / 4 = 27.5
  EXPECT_EQ(half.at(1, 0, 1), 7);
  EXPECT_EQ(half.at(0, 1, 2), 10);  // (8 + 12) / 2
  EXPECT_EQ(resize_bilinear(grid, 4, 4).pixels, grid.pixels);
}

TEST(ImageResize, SinglePixelAndSingleRowSourcesRepeat) {
  Image dot;
  dot.height = dot.width = 1;
  dot.channels = 3;
  dot.pixels = {9, 128, 255};
  const Image spread = resize_bilinear(dot, 3, 5);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(spread.pixels[i], dot.pixels[i % 3]) << i;
  Image row;
  row.height = 1;
  row.width = 3;
  row.channels = 1;
  row.pixels = {0, 60, 255};
  const Image tall = resize_bilinear(row, 4, 3);
  for (int h = 0; h < 4; ++h)
    for (int w = 0; w < 3; ++w) EXPECT_EQ(tall.at(h, w, 0), row.pixels[w]);
}

TEST(ImageResize, BadSizesAreErrors) {
  const Image image = pattern_image(2, 2);
  EXPECT_THROW(resize_bilinear(image, 0, 3), Error);
  EXPECT_THROW(resize_bilinear(image, 3, -1), Error);
  Image broken = image;
  broken.pixels.pop_back();
  EXPECT_THROW(resize_bilinear(broken, 3, 3), Error);
}

}  // namespace
}  // namespace hwgq
