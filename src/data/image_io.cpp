#include "hwgq/data/image_io.hpp"

#include <jpeglib.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

namespace {

// libjpeg and libpng report errors through a callback that must not return. A C++
// exception thrown through their C frames is undefined, so they longjmp back into the
// function that called them instead. Everything such a function modifies after setjmp
// lives in a job struct reached through an unchanged pointer, and its own frame holds no
// objects with destructors.

struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// Recoverable problems (extraneous bytes, a premature end filled in by libjpeg) decode
// as other readers do; printing them to stderr from a decode thread would only be noise.
void on_jpeg_message(j_common_ptr) {}

struct JpegDecodeJob {
  jpeg_decompress_struct cinfo;
  JpegErrorManager errors;
  const unsigned char* data;
  unsigned long size;
  ColorMode mode;
  Image* out;
};

bool run_jpeg_decode(JpegDecodeJob* job) {
  job->cinfo.err = jpeg_std_error(&job->errors.base);
  job->errors.base.error_exit = on_jpeg_error;
  job->errors.base.output_message = on_jpeg_message;
  job->errors.message[0] = '\0';
  if (setjmp(job->errors.jump)) {
    jpeg_destroy_decompress(&job->cinfo);
    return false;
  }
  jpeg_create_decompress(&job->cinfo);
  jpeg_mem_src(&job->cinfo, job->data, job->size);
  jpeg_read_header(&job->cinfo, TRUE);
  if (uint64_t(job->cinfo.image_width) * job->cinfo.image_height > uint64_t(kMaxImagePixels)) {
    std::snprintf(job->errors.message, sizeof job->errors.message, "%u x %u pixels is more than the %lld hwgq decodes",
                  job->cinfo.image_width, job->cinfo.image_height, static_cast<long long>(kMaxImagePixels));
    jpeg_destroy_decompress(&job->cinfo);
    return false;
  }
  const bool gray_source = job->cinfo.jpeg_color_space == JCS_GRAYSCALE;
  const bool want_gray = job->mode == ColorMode::Gray || (job->mode == ColorMode::Native && gray_source);
  if (!want_gray && (job->cinfo.jpeg_color_space == JCS_CMYK || job->cinfo.jpeg_color_space == JCS_YCCK)) {
    std::strcpy(job->errors.message, "CMYK JPEG images are not supported");
    jpeg_destroy_decompress(&job->cinfo);
    return false;
  }
  job->cinfo.out_color_space = want_gray ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_start_decompress(&job->cinfo);
  job->out->height = static_cast<int>(job->cinfo.output_height);
  job->out->width = static_cast<int>(job->cinfo.output_width);
  job->out->channels = job->cinfo.output_components;
  job->out->pixels.resize(size_t(job->out->height) * job->out->width * job->out->channels);
  const size_t stride = size_t(job->out->width) * job->out->channels;
  while (job->cinfo.output_scanline < job->cinfo.output_height) {
    JSAMPROW row = job->out->pixels.data() + job->cinfo.output_scanline * stride;
    jpeg_read_scanlines(&job->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&job->cinfo);
  jpeg_destroy_decompress(&job->cinfo);
  return true;
}

struct JpegEncodeJob {
  jpeg_compress_struct cinfo;
  JpegErrorManager errors;
  const Image* image;
  int quality;
  unsigned char* buffer;
  unsigned long size;
};

bool run_jpeg_encode(JpegEncodeJob* job) {
  job->cinfo.err = jpeg_std_error(&job->errors.base);
  job->errors.base.error_exit = on_jpeg_error;
  job->errors.base.output_message = on_jpeg_message;
  job->buffer = nullptr;
  job->size = 0;
  if (setjmp(job->errors.jump)) {
    jpeg_destroy_compress(&job->cinfo);
    return false;
  }
  jpeg_create_compress(&job->cinfo);
  jpeg_mem_dest(&job->cinfo, &job->buffer, &job->size);
  job->cinfo.image_width = static_cast<JDIMENSION>(job->image->width);
  job->cinfo.image_height = static_cast<JDIMENSION>(job->image->height);
  job->cinfo.input_components = job->image->channels;
  job->cinfo.in_color_space = job->image->channels == 1 ? JCS_GRAYSCALE : JCS_EXT_BGR;
  jpeg_set_defaults(&job->cinfo);
  jpeg_set_quality(&job->cinfo, job->quality, TRUE);
  jpeg_start_compress(&job->cinfo, TRUE);
  const size_t stride = size_t(job->image->width) * job->image->channels;
  while (job->cinfo.next_scanline < job->cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(job->image->pixels.data() + job->cinfo.next_scanline * stride);
    jpeg_write_scanlines(&job->cinfo, &row, 1);
  }
  jpeg_finish_compress(&job->cinfo);
  jpeg_destroy_compress(&job->cinfo);
  return true;
}

struct PngDecodeJob {
  const unsigned char* data;
  size_t size;
  size_t position;
  char message[256];
  Image* out;
  std::vector<png_bytep> rows;
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngDecodeJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}

void read_png_bytes(png_structp png, png_bytep out, png_size_t count) {
  auto* job = static_cast<PngDecodeJob*>(png_get_io_ptr(png));
  if (count > job->size - job->position) png_error(png, "file is truncated");
  std::memcpy(out, job->data + job->position, count);
  job->position += count;
}

// Decodes to the PNG's own channel count (1 or 3); colour conversion happens afterwards.
bool run_png_decode(PngDecodeJob* job) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, on_png_error, on_png_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, job, read_png_bytes);
  png_read_info(png, info);
  if (uint64_t(png_get_image_width(png, info)) * png_get_image_height(png, info) > uint64_t(kMaxImagePixels)) {
    std::snprintf(job->message, sizeof job->message, "%u x %u pixels is more than the %lld hwgq decodes",
                  png_get_image_width(png, info), png_get_image_height(png, info),
                  static_cast<long long>(kMaxImagePixels));
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (bit_depth == 16) png_set_strip_16(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  const bool gray = color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA;
  if (!gray) png_set_bgr(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  job->out->height = static_cast<int>(png_get_image_height(png, info));
  job->out->width = static_cast<int>(png_get_image_width(png, info));
  job->out->channels = gray ? 1 : 3;
  const size_t stride = size_t(job->out->width) * job->out->channels;
  if (png_get_rowbytes(png, info) != stride) png_error(png, "unexpected row layout after conversion");
  job->out->pixels.resize(stride * job->out->height);
  job->rows.resize(job->out->height);
  for (int h = 0; h < job->out->height; ++h) job->rows[h] = job->out->pixels.data() + h * stride;
  png_read_image(png, job->rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

void check_encodable(const Image& image) {
  HWGQ_REQUIRE(image.height > 0 && image.width > 0 && (image.channels == 1 || image.channels == 3) &&
                   image.pixels.size() == size_t(image.height) * image.width * image.channels,
               "cannot encode an image of " << image.height << " x " << image.width << " x " << image.channels
                                            << " with " << image.pixels.size() << " bytes");
}

}  // namespace

ImageFormat detect_image_format(const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return ImageFormat::Jpeg;
  static const unsigned char png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 8 && std::memcmp(bytes, png_magic, 8) == 0) return ImageFormat::Png;
  return ImageFormat::Unknown;
}

Image convert_color(const Image& image, ColorMode mode) {
  if (mode == ColorMode::Native || (mode == ColorMode::Gray) == (image.channels == 1)) return image;
  Image out;
  out.height = image.height;
  out.width = image.width;
  out.channels = mode == ColorMode::Gray ? 1 : 3;
  const size_t pixels = size_t(image.height) * image.width;
  out.pixels.resize(pixels * out.channels);
  if (mode == ColorMode::Gray) {
    for (size_t i = 0; i < pixels; ++i) {
      const uint8_t* bgr = &image.pixels[i * 3];
      out.pixels[i] = static_cast<uint8_t>((114 * bgr[0] + 587 * bgr[1] + 299 * bgr[2] + 500) / 1000);
    }
  } else {
    for (size_t i = 0; i < pixels; ++i) std::fill_n(&out.pixels[i * 3], 3, image.pixels[i]);
  }
  return out;
}

Image decode_image(const void* data, size_t size, ColorMode mode, const std::string& origin) {
  Image image;
  switch (detect_image_format(data, size)) {
    case ImageFormat::Jpeg: {
      JpegDecodeJob job;
      job.data = static_cast<const unsigned char*>(data);
      job.size = static_cast<unsigned long>(size);
      job.mode = mode;
      job.out = &image;
      HWGQ_REQUIRE(run_jpeg_decode(&job), origin << ": cannot decode JPEG: " << job.errors.message);
      return image;
    }
    case ImageFormat::Png: {
      PngDecodeJob job;
      job.data = static_cast<const unsigned char*>(data);
      job.size = size;
      job.position = 0;
      job.message[0] = '\0';
      job.out = &image;
      HWGQ_REQUIRE(run_png_decode(&job), origin << ": cannot decode PNG: " << job.message);
      return convert_color(image, mode);
    }
    case ImageFormat::Unknown:
      break;
  }
  HWGQ_FAIL(origin << ": not a JPEG or PNG image (" << size << " bytes)");
}

Image read_image(const std::string& path, ColorMode mode) {
  return decode_image(read_file(path), mode, path);
}

std::string encode_jpeg(const Image& image, int quality) {
  check_encodable(image);
  HWGQ_REQUIRE(quality >= 1 && quality <= 100, "JPEG quality must be in [1, 100], got " << quality);
  JpegEncodeJob job;
  job.image = &image;
  job.quality = quality;
  const bool ok = run_jpeg_encode(&job);
  std::string bytes;
  if (ok) bytes.assign(reinterpret_cast<const char*>(job.buffer), job.size);
  std::free(job.buffer);
  HWGQ_REQUIRE(ok, "cannot encode JPEG: " << job.errors.message);
  return bytes;
}

std::string encode_png(const Image& image) {
  check_encodable(image);
  png_image info;
  std::memset(&info, 0, sizeof(info));
  info.version = PNG_IMAGE_VERSION;
  info.width = static_cast<png_uint_32>(image.width);
  info.height = static_cast<png_uint_32>(image.height);
  info.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_BGR;
  png_alloc_size_t size = 0;
  // A first call with no buffer measures the encoded size.
  bool ok = png_image_write_to_memory(&info, nullptr, &size, 0, image.pixels.data(), 0, nullptr);
  std::string bytes(ok ? size : 0, '\0');
  if (ok) ok = png_image_write_to_memory(&info, bytes.data(), &size, 0, image.pixels.data(), 0, nullptr);
  HWGQ_REQUIRE(ok, "cannot encode PNG: " << info.message);
  bytes.resize(size);
  return bytes;
}

std::string encode_image(const Image& image, const std::string& format) {
  if (format == "jpg" || format == "jpeg") return encode_jpeg(image);
  if (format == "png") return encode_png(image);
  HWGQ_FAIL("unknown image encoding \"" << format << "\"; use jpg or png");
}

}  // namespace hwgq
