// LMDB records: a Datum (raw bytes, raw floats, or an encoded JPEG/PNG) decoded and run
// through DataTransformer. The first kHeaderBytes bytes choose the transform_param; the
// rest is the serialized Datum, as a Data layer reads it from its database.
//
//   byte 0  bit 0 mirror, bit 1 TRAIN phase (random crops), bits 2-3 colour mode
//           (Native, Color, Gray; 3 is Native), bits 4-6 count of mean_value (0-4)
//   byte 1  crop_size
//   byte 2  scale: 1 when 0, else byte / 64
//   3-6     the mean values, one byte each
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "fuzz_support.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/data_transformer.hpp"
#include "hwgq/data/datum.hpp"

namespace {

constexpr size_t kHeaderBytes = 7;
// Decoded images may hold up to hwgq::kMaxImagePixels; transforming one that large (up to
// 3 GB of floats) would only repeat the same loops at a size that fills memory.
constexpr int64_t kMaxOutputFloats = int64_t(1) << 22;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hwgq::fuzz::init_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeaderBytes) return 0;
  hwgq::TransformationParameter param;
  param.set_mirror(data[0] & 1);
  const hwgq::Phase phase = (data[0] & 2) ? hwgq::TRAIN : hwgq::TEST;
  const int mode_bits = (data[0] >> 2) & 3;
  const hwgq::ColorMode mode = mode_bits == 1 ? hwgq::ColorMode::Color
                               : mode_bits == 2 ? hwgq::ColorMode::Gray
                                                : hwgq::ColorMode::Native;
  const int means = ((data[0] >> 4) & 7) % 5;
  for (int i = 0; i < means; ++i) param.add_mean_value(data[3 + i]);
  param.set_crop_size(data[1]);
  if (data[2] != 0) param.set_scale(data[2] / 64.f);

  hwgq::Datum datum;
  if (!datum.ParseFromArray(data + kHeaderBytes, static_cast<int>(size - kHeaderBytes))) return 0;
  try {
    hwgq::DataTransformer transformer(param, phase, "fuzz");
    hwgq::Image decoded;
    const hwgq::PixelData pixels = hwgq::datum_pixels(datum, mode, "fuzz", &decoded);
    transformer.check_input(pixels.channels, pixels.height, pixels.width);
    int64_t count = 1;
    for (int dim : transformer.output_shape(pixels.channels, pixels.height, pixels.width)) count *= dim;
    if (count > kMaxOutputFloats) return 0;
    std::vector<float> out(static_cast<size_t>(count));
    std::mt19937_64 rng(1);
    if (pixels.bytes)
      transformer.transform(pixels.bytes, pixels.layout, pixels.channels, pixels.height, pixels.width, out.data(), rng);
    else
      transformer.transform(pixels.floats, pixels.layout, pixels.channels, pixels.height, pixels.width, out.data(), rng);
  } catch (const hwgq::Error&) {
  }
  return 0;
}
