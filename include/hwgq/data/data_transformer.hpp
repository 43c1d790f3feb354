// Turns one stored image (bytes or floats, C x H x W) into the float input of a net,
// following transform_param in Caffe's order: out = (pixel - mean) * scale, taken from a
// crop window, mirrored left-right. The mean is either mean_file (a C x H x W BlobProto
// of the uncropped image, subtracted pixel by pixel) or mean_value (one value per
// channel, or one for all channels).
//
// Crop windows are random in TRAIN and centred in TEST. Mirroring, when enabled, is a coin
// flip in both phases, as in Caffe. Random draws come from a generator the caller passes
// in, so each prefetch worker can own one.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

// Where value (c, h, w) of an image lies in memory: c * channel + h * row + w * column.
struct PixelLayout {
  int channel;
  int row;
  int column;

  static PixelLayout chw(int channels, int height, int width) { return {height * width, width, 1}; }
  // Interleaved, as decoders produce it (rows of B, G, R triples).
  static PixelLayout hwc(int channels, int height, int width) { return {1, width * channels, channels}; }
};

class DataTransformer {
 public:
  // Reads mean_file when set. `where` prefixes error messages (the owning layer).
  DataTransformer(const TransformationParameter& param, Phase phase, const std::string& where = "");

  // Checks that images of this shape can be transformed (crop fits, mean matches); raises
  // hwgq::Error naming the shapes otherwise.
  void check_input(int channels, int height, int width) const;
  // The shape of one transformed image: C x crop x crop, or C x H x W without crop.
  std::vector<int> output_shape(int channels, int height, int width) const;

  // Writes output_shape(...) floats in C x H x W order to dst. The input must have passed
  // check_input.
  void transform(const uint8_t* src, PixelLayout layout, int channels, int height, int width, float* dst,
                 std::mt19937_64& rng) const;
  void transform(const float* src, PixelLayout layout, int channels, int height, int width, float* dst,
                 std::mt19937_64& rng) const;

  const TransformationParameter& param() const { return param_; }
  // Whether transform draws from its generator (a TRAIN-phase crop, or mirror).
  bool draws_random() const { return (phase_ == TRAIN && param_.crop_size() > 0) || param_.mirror(); }

 private:
  template <class T>
  void transform_any(const T* src, PixelLayout layout, int channels, int height, int width, float* dst,
                     std::mt19937_64& rng) const;

  TransformationParameter param_;
  Phase phase_;
  std::string where_;
  std::vector<int> mean_shape_;   // C x H x W of mean_file, empty without one
  std::vector<float> mean_file_;  // values of mean_file
};

}  // namespace hwgq
