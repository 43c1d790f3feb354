// Byte-for-byte comparison of resize_bilinear with OpenCV's cv::resize(INTER_LINEAR) on
// cases written by scripts/opencv_resize_cases.py. Needs that file (and so OpenCV) and runs
// only where HWGQ_OPENCV_RESIZE_CASES names it; CI has no OpenCV and skips it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "hwgq/data/image_resize.hpp"

namespace hwgq {
namespace {

uint32_t read_u32(std::istream& in) {
  unsigned char bytes[4] = {};
  in.read(reinterpret_cast<char*>(bytes), 4);
  return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | uint32_t(bytes[3]) << 24;
}

std::vector<uint8_t> read_bytes(std::istream& in, size_t count) {
  std::vector<uint8_t> bytes(count);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(count));
  return bytes;
}

TEST(ResizeOpenCvParity, EveryRecordedCaseIsByteIdentical) {
  const char* path = std::getenv("HWGQ_OPENCV_RESIZE_CASES");
  if (path == nullptr) GTEST_SKIP() << "HWGQ_OPENCV_RESIZE_CASES is not set (see scripts/opencv_resize_cases.py)";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot open " << path;
  std::string magic(8, '\0');
  in.read(magic.data(), 8);
  ASSERT_EQ(magic, "HWGQRSZ1") << path << " is not a resize cases file";
  const uint32_t count = read_u32(in);
  size_t bytes_compared = 0, cases_differing = 0, bytes_differing = 0;
  for (uint32_t i = 0; i < count; ++i) {
    Image image;
    image.height = int(read_u32(in));
    image.width = int(read_u32(in));
    image.channels = int(read_u32(in));
    const int out_height = int(read_u32(in));
    const int out_width = int(read_u32(in));
    image.pixels = read_bytes(in, size_t(image.height) * image.width * image.channels);
    const std::vector<uint8_t> expected = read_bytes(in, size_t(out_height) * out_width * image.channels);
    ASSERT_TRUE(in) << path << " ends inside case " << i;
    const Image out = resize_bilinear(image, out_height, out_width);
    size_t differing = 0;
    for (size_t k = 0; k < expected.size(); ++k) differing += out.pixels[k] != expected[k];
    bytes_compared += expected.size();
    bytes_differing += differing;
    if (differing) {
      ++cases_differing;
      ADD_FAILURE() << "case " << i << ": " << image.height << "x" << image.width << "x" << image.channels << " -> "
                    << out_height << "x" << out_width << ": " << differing << " of " << expected.size()
                    << " bytes differ";
    }
  }
  std::cout << count << " cases, " << bytes_compared << " bytes compared, " << cases_differing << " cases and "
            << bytes_differing << " bytes differ\n";
}

}  // namespace
}  // namespace hwgq
