#include "hwgq/data/data_transformer.hpp"

#include "hwgq/blob.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

DataTransformer::DataTransformer(const TransformationParameter& param, Phase phase, const std::string& where)
    : param_(param), phase_(phase), where_(where) {
  HWGQ_REQUIRE(!(param_.has_mean_file() && param_.mean_value_size() > 0),
               where_ << "transform_param sets both mean_file and mean_value; use one");
  HWGQ_REQUIRE(!(param_.force_color() && param_.force_gray()),
               where_ << "transform_param sets both force_color and force_gray");
  if (param_.has_mean_file()) {
    BlobProto proto;
    read_binary_proto(param_.mean_file(), &proto);
    std::vector<int> shape = proto_shape(proto);
    // Caffe writes means as 1 x C x H x W.
    if (shape.size() == 4 && shape[0] == 1) shape.erase(shape.begin());
    HWGQ_REQUIRE(shape.size() == 3, where_ << "mean_file " << param_.mean_file() << " holds a blob of shape "
                                           << shape_string(shape) << ", expected 1 x C x H x W");
    int64_t count = 1;
    for (int dim : shape) count *= dim;
    HWGQ_REQUIRE(proto.data_size() == count, where_ << "mean_file " << param_.mean_file() << " has "
                                                    << proto.data_size() << " values for shape "
                                                    << shape_string(shape));
    mean_shape_ = shape;
    mean_file_.assign(proto.data().begin(), proto.data().end());
  }
}

void DataTransformer::check_input(int channels, int height, int width) const {
  const std::vector<int> input = {channels, height, width};
  const int crop = static_cast<int>(param_.crop_size());
  HWGQ_REQUIRE(crop <= height && crop <= width,
               where_ << "crop_size " << crop << " exceeds the image size " << shape_string(input));
  if (!mean_shape_.empty()) {
    HWGQ_REQUIRE(mean_shape_ == input, where_ << "mean_file " << param_.mean_file() << " has shape "
                                              << shape_string(mean_shape_) << " but the images are "
                                              << shape_string(input));
  }
  const int values = param_.mean_value_size();
  HWGQ_REQUIRE(values <= 1 || values == channels, where_ << "transform_param has " << values
                                                         << " mean_value entries for " << channels
                                                         << "-channel images; give 1 or " << channels);
}

std::vector<int> DataTransformer::output_shape(int channels, int height, int width) const {
  const int crop = static_cast<int>(param_.crop_size());
  if (crop > 0) return {channels, crop, crop};
  return {channels, height, width};
}

template <class T>
void DataTransformer::transform_any(const T* src, PixelLayout layout, int channels, int height, int width,
                                    float* dst, std::mt19937_64& rng) const {
  const int crop = static_cast<int>(param_.crop_size());
  const int out_h = crop > 0 ? crop : height;
  const int out_w = crop > 0 ? crop : width;
  int h_off = 0, w_off = 0;
  if (crop > 0) {
    if (phase_ == TRAIN) {
      h_off = std::uniform_int_distribution<int>(0, height - crop)(rng);
      w_off = std::uniform_int_distribution<int>(0, width - crop)(rng);
    } else {
      h_off = (height - crop) / 2;
      w_off = (width - crop) / 2;
    }
  }
  const bool mirror = param_.mirror() && std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  const float scale = param_.scale();
  const bool per_pixel_mean = !mean_file_.empty();

  for (int c = 0; c < channels; ++c) {
    const float channel_mean = param_.mean_value_size() == 0   ? 0.f
                               : param_.mean_value_size() == 1 ? param_.mean_value(0)
                                                               : param_.mean_value(c);
    for (int h = 0; h < out_h; ++h) {
      const int src_h = h + h_off;
      const T* row = src + static_cast<size_t>(c) * layout.channel + static_cast<size_t>(src_h) * layout.row;
      const float* mean_row = per_pixel_mean ? mean_file_.data() + (size_t(c) * height + src_h) * width : nullptr;
      float* out = dst + (size_t(c) * out_h + h) * out_w;
      for (int w = 0; w < out_w; ++w) {
        const int src_w = w + w_off;
        const float mean = per_pixel_mean ? mean_row[src_w] : channel_mean;
        out[mirror ? out_w - 1 - w : w] = (static_cast<float>(row[size_t(src_w) * layout.column]) - mean) * scale;
      }
    }
  }
}

void DataTransformer::transform(const uint8_t* src, PixelLayout layout, int channels, int height, int width,
                                float* dst, std::mt19937_64& rng) const {
  transform_any(src, layout, channels, height, width, dst, rng);
}

void DataTransformer::transform(const float* src, PixelLayout layout, int channels, int height, int width,
                                float* dst, std::mt19937_64& rng) const {
  transform_any(src, layout, channels, height, width, dst, rng);
}

}  // namespace hwgq
