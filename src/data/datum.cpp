#include "hwgq/data/datum.hpp"

#include "hwgq/common.hpp"

namespace hwgq {

PixelData datum_pixels(const Datum& datum, ColorMode mode, const std::string& origin, Image* decoded) {
  PixelData pixels;
  if (datum.encoded()) {
    *decoded = decode_image(datum.data(), mode, origin);
    pixels.bytes = decoded->pixels.data();
    pixels.channels = decoded->channels;
    pixels.height = decoded->height;
    pixels.width = decoded->width;
    pixels.layout = PixelLayout::hwc(pixels.channels, pixels.height, pixels.width);
    return pixels;
  }
  pixels.channels = datum.channels();
  pixels.height = datum.height();
  pixels.width = datum.width();
  HWGQ_REQUIRE(pixels.channels > 0 && pixels.height > 0 && pixels.width > 0,
               origin << ": raw Datum has an empty shape " << pixels.channels << " x " << pixels.height << " x "
                      << pixels.width);
  // Three positive ints can multiply past int64; no store holds that many values anyway.
  int64_t count = 0;
  HWGQ_REQUIRE(!__builtin_mul_overflow(int64_t(pixels.channels) * pixels.height, int64_t(pixels.width), &count),
               origin << ": raw Datum shape " << pixels.channels << " x " << pixels.height << " x " << pixels.width
                      << " has more values than any record can hold");
  if (!datum.data().empty()) {
    HWGQ_REQUIRE(int64_t(datum.data().size()) == count, origin << ": raw Datum holds " << datum.data().size()
                                                                << " bytes for shape " << pixels.channels << " x "
                                                                << pixels.height << " x " << pixels.width);
    pixels.bytes = reinterpret_cast<const uint8_t*>(datum.data().data());
  } else {
    HWGQ_REQUIRE(datum.float_data_size() == count, origin << ": raw Datum holds " << datum.float_data_size()
                                                           << " float values for shape " << pixels.channels
                                                           << " x " << pixels.height << " x " << pixels.width);
    pixels.floats = datum.float_data().data();
  }
  // Only now that the stored values match the shape is a plane (height x width) known to
  // fit in an int.
  pixels.layout = PixelLayout::chw(pixels.channels, pixels.height, pixels.width);
  return pixels;
}

void image_to_datum(const Image& image, int label, Datum* datum) {
  datum->Clear();
  datum->set_channels(image.channels);
  datum->set_height(image.height);
  datum->set_width(image.width);
  datum->set_label(label);
  // Caffe's CVMatToDatum sets encoded = false explicitly, so the field is present in its
  // records; writing it too keeps raw records byte-identical to Caffe's.
  datum->set_encoded(false);
  std::string* planar = datum->mutable_data();
  planar->resize(image.pixels.size());
  const size_t plane = size_t(image.height) * image.width;
  for (int c = 0; c < image.channels; ++c)
    for (size_t i = 0; i < plane; ++i) (*planar)[c * plane + i] = static_cast<char>(image.pixels[i * image.channels + c]);
}

void encoded_to_datum(const std::string& encoded, const Image& image, int label, Datum* datum) {
  datum->Clear();
  // Caffe's convert_imageset records the shape of encoded images too; readers decode anyway.
  datum->set_channels(image.channels);
  datum->set_height(image.height);
  datum->set_width(image.width);
  datum->set_label(label);
  datum->set_data(encoded);
  datum->set_encoded(true);
}

}  // namespace hwgq
