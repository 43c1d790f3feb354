// Datum records (one image and its label, as stored in Caffe LMDBs) to and from pixels.
// A raw Datum holds channels x height x width bytes in planar C x H x W order (B, G, R
// planes for colour, as Caffe writes them) or the same count of float_data; an encoded
// Datum (encoded = true) holds the bytes of a JPEG or PNG file.
#pragma once

#include <string>

#include "hwgq/data/data_transformer.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

// Where a Datum's pixels are, for DataTransformer: into the Datum itself (raw) or into a
// decoded image (encoded). Exactly one of bytes and floats is set.
struct PixelData {
  const uint8_t* bytes = nullptr;
  const float* floats = nullptr;
  PixelLayout layout{0, 0, 0};
  int channels = 0;
  int height = 0;
  int width = 0;
};

// The pixels of `datum`; encoded images are decoded into *decoded with `mode` (raw
// Datums are returned as stored). Both datum and *decoded must outlive the result. An
// undecodable image or a raw Datum whose size disagrees with its shape raises hwgq::Error
// starting with `origin`.
PixelData datum_pixels(const Datum& datum, ColorMode mode, const std::string& origin, Image* decoded);

// A raw Datum (planar bytes) of an image.
void image_to_datum(const Image& image, int label, Datum* datum);
// An encoded Datum holding `encoded` (JPEG or PNG bytes) of an image of the given shape.
void encoded_to_datum(const std::string& encoded, const Image& image, int label, Datum* datum);

}  // namespace hwgq
