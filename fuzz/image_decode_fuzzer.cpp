// JPEG and PNG decoding (libjpeg / libpng through hwgq's decoder), then the colour
// conversions and the bilinear resize the data layers apply to decoded images.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/data/image_resize.hpp"

namespace {

constexpr int64_t kMaxConvertedPixels = int64_t(1) << 22;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hwgq::fuzz::init_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hwgq::Image image;
  try {
    image = hwgq::decode_image(data, size, hwgq::ColorMode::Native, "fuzz");
  } catch (const hwgq::Error&) {
    return 0;
  }
  // Decoding is bounded by hwgq::kMaxImagePixels; copies of images that large would only
  // repeat the same loops at a size that fills memory.
  if (int64_t(image.height) * image.width > kMaxConvertedPixels) return 0;
  try {
    hwgq::convert_color(image, hwgq::ColorMode::Color);
    hwgq::convert_color(image, hwgq::ColorMode::Gray);
    hwgq::resize_bilinear(image, 7, 5);
  } catch (const hwgq::Error&) {
  }
  return 0;
}
