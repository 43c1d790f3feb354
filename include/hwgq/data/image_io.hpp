// Decoding and encoding JPEG (libjpeg) and PNG (libpng) images (resizing: image_resize.hpp).
// Decoded images are interleaved bytes, rows top to bottom; colour images are in B, G, R
// order, as Caffe (through OpenCV) stores them, so LMDBs made by either tool agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hwgq {

struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;             // 1 (gray) or 3 (B, G, R)
  std::vector<uint8_t> pixels;  // height x width x channels

  uint8_t& at(int h, int w, int c) { return pixels[(size_t(h) * width + w) * channels + c]; }
  uint8_t at(int h, int w, int c) const { return pixels[(size_t(h) * width + w) * channels + c]; }
};

enum class ColorMode {
  Native,  // as stored: gray images stay 1-channel, others become B, G, R
  Color,   // always 3 channels
  Gray,    // always 1 channel
};

enum class ImageFormat { Unknown, Jpeg, Png };

// Recognises JPEG and PNG by their first bytes.
ImageFormat detect_image_format(const void* data, size_t size);

// The largest image decode_image accepts, in pixels (16384 x 16384): far beyond any
// training image, and it keeps a corrupt or hostile header (JPEG allows 65500 x 65500,
// PNG 2^31 x 2^31) from making the decoder allocate tens of gigabytes.
constexpr int64_t kMaxImagePixels = int64_t(1) << 28;

// Decodes JPEG or PNG bytes. A corrupt, truncated or unsupported image raises hwgq::Error
// whose message starts with `origin` (a path or a database key), as does one of more than
// kMaxImagePixels pixels. Alpha is dropped;
// 16-bit PNGs are reduced to 8 bits. Colour to gray uses 0.299 R + 0.587 G + 0.114 B.
Image decode_image(const void* data, size_t size, ColorMode mode, const std::string& origin);
inline Image decode_image(const std::string& bytes, ColorMode mode, const std::string& origin) {
  return decode_image(bytes.data(), bytes.size(), mode, origin);
}
// Reads and decodes a file; a missing file raises hwgq::Error naming the path.
Image read_image(const std::string& path, ColorMode mode);

// quality in [1, 100].
std::string encode_jpeg(const Image& image, int quality = 95);
std::string encode_png(const Image& image);
// "jpg"/"jpeg" or "png"; anything else raises hwgq::Error.
std::string encode_image(const Image& image, const std::string& format);

Image convert_color(const Image& image, ColorMode mode);

}  // namespace hwgq
