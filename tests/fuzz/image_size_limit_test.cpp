// Written with fuzz/image_decode_fuzzer: a JPEG or PNG header may declare up to
// 65500 x 65500 (JPEG) or 2^31 x 2^31 (PNG) pixels in a few bytes, and decode_image
// allocated the whole image before reading any pixel data. Images over kMaxImagePixels are
// now refused with an error before anything is allocated.
#include <gtest/gtest.h>

#include <zlib.h>

#include <string>

#include "hwgq/common.hpp"
#include "hwgq/data/image_io.hpp"

namespace hwgq {
namespace {

std::string big_endian(uint32_t value) {
  return {char(value >> 24), char(value >> 16 & 0xff), char(value >> 8 & 0xff), char(value & 0xff)};
}

std::string decode_error(const std::string& bytes) {
  try {
    decode_image(bytes, ColorMode::Native, "huge.img");
  } catch (const Error& error) {
    return error.what();
  }
  return "(decoded)";
}

Image small_image() {
  Image image;
  image.height = 4;
  image.width = 3;
  image.channels = 3;
  image.pixels.assign(4 * 3 * 3, 77);
  return image;
}

TEST(FuzzRegression, PngDeclaringTooManyPixelsIsRefused) {
  // A real PNG's IHDR rewritten to 20000 x 20000 (4 x 10^8 pixels), with its CRC fixed.
  std::string png = encode_png(small_image());
  ASSERT_EQ(png.substr(12, 4), "IHDR");
  png.replace(16, 8, big_endian(20000) + big_endian(20000));
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(png.data() + 12), 17);
  png.replace(29, 4, big_endian(static_cast<uint32_t>(crc)));
  const std::string message = decode_error(png);
  EXPECT_NE(message.find("huge.img: cannot decode PNG: 20000 x 20000 pixels is more than the 268435456"),
            std::string::npos)
      << message;
}

TEST(FuzzRegression, JpegDeclaringTooManyPixelsIsRefused) {
  // A real JPEG's frame header (SOF0: length, precision, height, width) set to 65000 x 65000.
  std::string jpeg = encode_jpeg(small_image());
  const size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  jpeg.replace(sof + 5, 4, std::string("\xfd\xe8\xfd\xe8", 4));
  const std::string message = decode_error(jpeg);
  EXPECT_NE(message.find("huge.img: cannot decode JPEG: 65000 x 65000 pixels is more than the 268435456"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace hwgq
