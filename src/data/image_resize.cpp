#include "hwgq/data/image_resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "hwgq/common.hpp"

// The arithmetic of OpenCV's cv::resize(..., INTER_LINEAR) on 8-bit images, which Caffe's
// convert_imageset and ImageData layer call. Reproducing it step by step is what makes the
// bytes equal; a float bilinear filter rounded once at the end differs by 1 in about 12 % of
// the bytes.
//
// 1. Source coordinate of output index d along an axis of in -> out samples:
//      scale = 1 / (double(out) / in)            (a double, not in / out: both round)
//      f     = float(double(d + 0.5) * scale - 0.5)
//      s     = floor(f), frac = f - s            (float)
//    Columns only: s < 0 becomes s = 0, frac = 0; s >= in - 1 becomes s = in - 1, frac = 0.
//    Rows are not clamped that way: their two source rows s and s + 1 are clamped into
//    [0, in - 1] separately and keep their weights (row -1 and row 0 are both row 0).
// 2. Weights in 11-bit fixed point (2048 = 1), each rounded on its own, half to even:
//      w0 = round(float(1 - frac) * 2048), w1 = round(frac * 2048)
//    Their sum is not forced to 2048 (it can be one off when frac * 2048 lies within a float
//    step of a half); OpenCV keeps them as rounded, and so does this.
// 3. Horizontal pass, exact in int: h = src[s] * w0 + src[s + 1] * w1 (a clamped column has
//    w1 = 0), at most 255 * 2048 * 2, kept with 11 fraction bits.
// 4. Vertical pass, with the two-step rounding of OpenCV's SSE2 kernel, which every x86
//    build runs (SSE2 is part of x86-64) and which OpenCV 3 and later also use for the
//    scalar remainder of each row, so every byte of a row is computed alike:
//      out = ((w0 * (h0 >> 4)) >> 16) + ((w1 * (h1 >> 4)) >> 16) + 2) >> 2
//    (h >> 4 fits a 16-bit lane; the multiply keeps the high 16 bits of the product; the
//    final shift rounds half up). A correctly rounded (w0 h0 + w1 h1 + 2^21) >> 22 — the
//    plain C loop with which some OpenCV 2.4 releases finish each row — differs by 1 in
//    about 12 % of the bytes.
// OpenCV runs an exact 2 x 2 downscale as INTER_AREA, averaging each 2 x 2 block with
// (a + b + c + d + 2) >> 2; the steps above give the same bytes there (frac = 0.5, weights
// 1024), so no special case is needed.

namespace hwgq {

namespace {

constexpr int kWeightBits = 11;
constexpr int kWeightOne = 1 << kWeightBits;

// One output index's two source indices (already clamped into the image) and weights.
struct Taps {
  int first, second;
  int16_t weight_first, weight_second;
};

int16_t fixed_point_weight(float weight) {
  // lrint rounds half to even in the default rounding mode, as OpenCV's saturate_cast does.
  return static_cast<int16_t>(std::lrint(weight * kWeightOne));
}

// The source position f of step 1. The product is stored before the subtraction: a
// compiler allowed to contract (GCC does by default, and -march=native offers FMA) would
// otherwise fuse the two into one fused multiply-add, which rounds once instead of twice and
// moves some positions by one float step, and so some weights by one.
float source_position(int index, double scale) {
  volatile double product = (index + 0.5) * scale;
  return static_cast<float>(product - 0.5);
}

std::vector<Taps> column_taps(int out, int in) {
  const double scale = 1.0 / (static_cast<double>(out) / in);
  std::vector<Taps> taps(out);
  for (int d = 0; d < out; ++d) {
    float f = source_position(d, scale);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (s < 0) s = 0, f = 0.f;
    if (s >= in - 1) s = in - 1, f = 0.f;
    taps[d] = {s, std::min(s + 1, in - 1), fixed_point_weight(1.f - f), fixed_point_weight(f)};
  }
  return taps;
}

std::vector<Taps> row_taps(int out, int in) {
  const double scale = 1.0 / (static_cast<double>(out) / in);
  std::vector<Taps> taps(out);
  for (int d = 0; d < out; ++d) {
    float f = source_position(d, scale);
    const int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    taps[d] = {std::clamp(s, 0, in - 1), std::clamp(s + 1, 0, in - 1), fixed_point_weight(1.f - f),
               fixed_point_weight(f)};
  }
  return taps;
}

// Step 3 for one source row: out_width * channels sums with 11 fraction bits.
void horizontal_pass(const uint8_t* row, int channels, const std::vector<Taps>& columns, int32_t* sums) {
  for (size_t x = 0; x < columns.size(); ++x) {
    const Taps& t = columns[x];
    const uint8_t* a = row + size_t(t.first) * channels;
    const uint8_t* b = row + size_t(t.second) * channels;
    for (int c = 0; c < channels; ++c) sums[x * channels + c] = a[c] * t.weight_first + b[c] * t.weight_second;
  }
}

uint8_t vertical_blend(int32_t top, int32_t bottom, int16_t weight_top, int16_t weight_bottom) {
  const int32_t value = ((weight_top * (top >> 4)) >> 16) + ((weight_bottom * (bottom >> 4)) >> 16) + 2;
  return static_cast<uint8_t>(std::clamp(value >> 2, 0, 255));
}

}  // namespace

Image resize_bilinear(const Image& image, int height, int width) {
  HWGQ_REQUIRE(height > 0 && width > 0, "cannot resize to " << height << " x " << width);
  HWGQ_REQUIRE(image.height > 0 && image.width > 0 && image.channels > 0 &&
                   image.pixels.size() == size_t(image.height) * image.width * image.channels,
               "cannot resize an image of " << image.height << " x " << image.width << " x " << image.channels
                                            << " with " << image.pixels.size() << " bytes");
  if (height == image.height && width == image.width) return image;
  Image out;
  out.height = height;
  out.width = width;
  out.channels = image.channels;
  out.pixels.resize(size_t(height) * width * image.channels);
  const int channels = image.channels;
  const size_t in_row = size_t(image.width) * channels;
  const size_t out_row = size_t(width) * channels;

  const std::vector<Taps> columns = column_taps(width, image.width);
  const std::vector<Taps> rows = row_taps(height, image.height);
  // Horizontal sums of the two source rows used last: consecutive output rows mostly share
  // their source rows, so each source row is summed about once.
  std::vector<int32_t> sums[2] = {std::vector<int32_t>(out_row), std::vector<int32_t>(out_row)};
  int summed_row[2] = {-1, -1};
  // The sums of source row `row`, computed into the slot that does not hold row `keep`.
  auto sums_of = [&](int row, int keep) -> const int32_t* {
    for (int k = 0; k < 2; ++k)
      if (summed_row[k] == row) return sums[k].data();
    const int slot = summed_row[0] == keep ? 1 : 0;
    horizontal_pass(&image.pixels[row * in_row], channels, columns, sums[slot].data());
    summed_row[slot] = row;
    return sums[slot].data();
  };
  for (int y = 0; y < height; ++y) {
    const Taps& t = rows[y];
    const int32_t* top = sums_of(t.first, t.second);
    const int32_t* bottom = sums_of(t.second, t.first);
    uint8_t* dst = &out.pixels[y * out_row];
    for (size_t i = 0; i < out_row; ++i) dst[i] = vertical_blend(top[i], bottom[i], t.weight_first, t.weight_second);
  }
  return out;
}

}  // namespace hwgq
