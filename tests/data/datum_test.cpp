#include "hwgq/data/datum.hpp"

#include <gtest/gtest.h>

#include "data/data_test_util.hpp"
#include "hwgq/common.hpp"

namespace hwgq {
namespace {

TEST(Datum, RawDatumIsPlanarAndReadsBack) {
  const Image image = test::make_image(3, 4, 3, 1);
  Datum datum;
  image_to_datum(image, 7, &datum);
  EXPECT_EQ(datum.channels(), 3);
  EXPECT_EQ(datum.height(), 3);
  EXPECT_EQ(datum.width(), 4);
  EXPECT_EQ(datum.label(), 7);
  EXPECT_FALSE(datum.encoded());
  // Plane c, row h, column w.
  EXPECT_EQ(static_cast<uint8_t>(datum.data()[(2 * 3 + 1) * 4 + 3]), image.at(1, 3, 2));
  Image scratch;
  const PixelData pixels = datum_pixels(datum, ColorMode::Native, "rec", &scratch);
  ASSERT_NE(pixels.bytes, nullptr);
  EXPECT_EQ(pixels.bytes[pixels.layout.channel * 2 + pixels.layout.row * 1 + pixels.layout.column * 3],
            image.at(1, 3, 2));
}

TEST(Datum, RawDatumSerializesLikeCaffe) {
  // A 1 x 1 x 2 gray image with label 5, as Caffe's convert_imageset writes it: fields in
  // number order, each a tag byte (number << 3 | wire type) and its value; encoded = false
  // is present (Caffe sets it explicitly).
  Image image;
  image.height = 1;
  image.width = 2;
  image.channels = 1;
  image.pixels = {0xAB, 0x07};
  Datum datum;
  image_to_datum(image, 5, &datum);
  std::string bytes;
  ASSERT_TRUE(datum.SerializeToString(&bytes));
  const std::string expected = {
      0x08, 0x01,                          // channels = 1
      0x10, 0x01,                          // height = 1
      0x18, 0x02,                          // width = 2
      0x22, 0x02, char(0xAB), 0x07,        // data: 2 bytes
      0x28, 0x05,                          // label = 5
      0x38, 0x00,                          // encoded = false
  };
  EXPECT_EQ(bytes, expected);
}

TEST(Datum, EncodedDatumDecodes) {
  const Image image = test::make_image(5, 6, 3, 2);
  Datum datum;
  encoded_to_datum(encode_png(image), image, 3, &datum);
  EXPECT_TRUE(datum.encoded());
  Image decoded;
  const PixelData pixels = datum_pixels(datum, ColorMode::Native, "rec", &decoded);
  EXPECT_EQ(pixels.channels, 3);
  EXPECT_EQ(decoded.pixels, image.pixels);
  EXPECT_EQ(pixels.bytes, decoded.pixels.data());
  EXPECT_EQ(datum_pixels(datum, ColorMode::Gray, "rec", &decoded).channels, 1);
}

TEST(Datum, FloatDataAndSizeErrors) {
  Datum datum;
  datum.set_channels(1);
  datum.set_height(2);
  datum.set_width(2);
  for (int i = 0; i < 4; ++i) datum.add_float_data(i * 0.5f);
  Image scratch;
  const PixelData pixels = datum_pixels(datum, ColorMode::Native, "rec", &scratch);
  ASSERT_NE(pixels.floats, nullptr);
  EXPECT_EQ(pixels.floats[3], 1.5f);
  datum.add_float_data(9.f);
  EXPECT_THROW(datum_pixels(datum, ColorMode::Native, "rec", &scratch), Error);
  datum.clear_float_data();
  datum.set_data("abc");
  try {
    datum_pixels(datum, ColorMode::Native, "db record 00000001", &scratch);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("db record 00000001: raw Datum holds 3 bytes"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hwgq
