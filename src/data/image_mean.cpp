#include "hwgq/data/image_mean.hpp"

#include <glog/logging.h>

#include "hwgq/common.hpp"
#include "hwgq/data/datum.hpp"
#include "hwgq/data/lmdb.hpp"

namespace hwgq {

ImageMean compute_image_mean(const std::string& db_path) {
  LmdbReader reader(db_path);
  HWGQ_REQUIRE(reader.size() > 0, "LMDB " << db_path << " holds no records");
  ImageMean result;
  std::vector<int> shape;
  std::vector<double> sum;
  std::string key, value;
  Datum datum;
  Image decoded;
  for (size_t r = 0; r < reader.size(); ++r) {
    reader.next(&key, &value);
    const std::string origin = db_path + " record " + key;
    PixelData pixels;
    try {
      HWGQ_REQUIRE(datum.ParseFromString(value), origin << ": not a Datum");
      pixels = datum_pixels(datum, ColorMode::Native, origin, &decoded);
    } catch (const Error& e) {
      LOG(WARNING) << "skipping " << e.what();
      ++result.skipped;
      continue;
    }
    const std::vector<int> this_shape = {pixels.channels, pixels.height, pixels.width};
    if (shape.empty()) {
      shape = this_shape;
      sum.assign(size_t(shape[0]) * shape[1] * shape[2], 0.0);
    }
    HWGQ_REQUIRE(this_shape == shape, origin << " has shape " << shape_string(this_shape)
                                             << " but the first record has " << shape_string(shape)
                                             << "; a mean image needs images of one size");
    size_t i = 0;
    for (int c = 0; c < shape[0]; ++c)
      for (int h = 0; h < shape[1]; ++h)
        for (int w = 0; w < shape[2]; ++w, ++i) {
          const size_t at = size_t(c) * pixels.layout.channel + size_t(h) * pixels.layout.row +
                            size_t(w) * pixels.layout.column;
          sum[i] += pixels.bytes ? double(pixels.bytes[at]) : double(pixels.floats[at]);
        }
    ++result.count;
    if (result.count % 10000 == 0) LOG(INFO) << "processed " << result.count << " records";
  }
  HWGQ_REQUIRE(result.count > 0, "none of the " << reader.size() << " records of " << db_path << " can be read");

  BlobProto& mean = result.mean;
  mean.set_num(1);
  mean.set_channels(shape[0]);
  mean.set_height(shape[1]);
  mean.set_width(shape[2]);
  const size_t plane = size_t(shape[1]) * shape[2];
  result.channel_means.assign(shape[0], 0.0);
  for (size_t i = 0; i < sum.size(); ++i) {
    const double value_mean = sum[i] / double(result.count);
    mean.add_data(static_cast<float>(value_mean));
    result.channel_means[i / plane] += value_mean / double(plane);
  }
  return result;
}

}  // namespace hwgq
