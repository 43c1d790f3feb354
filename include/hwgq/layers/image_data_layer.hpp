// ImageData: JPEG/PNG files named in a list file, one "path label" per line (the path may
// contain spaces: the label is the last field), read and decoded in the prefetch workers.
//
// image_data_param: source (the list), root_folder (prefixed to every path), batch_size,
// shuffle (a fresh order each epoch, in either phase, as in Caffe), new_height/new_width
// (bilinear resize, both or neither), is_color (3-channel B, G, R, or 1-channel gray),
// rand_skip, decode_threads. transform_param applies as in Caffe.
#pragma once

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "hwgq/data/image_list.hpp"
#include "hwgq/layers/decoding_data_layer.hpp"

namespace hwgq {

class ImageDataLayer : public TypedLayer<ImageDataLayer, DecodingDataLayer> {
 public:
  static constexpr const char* kType = "ImageData";

  explicit ImageDataLayer(const LayerParameter& param) : TypedLayer(param) {}
  ~ImageDataLayer() override { stop_prefetch(); }
  int64_t source_size() const override { return static_cast<int64_t>(entries_.size()); }

 protected:
  void open_source() override;
  int batch_size() const override { return static_cast<int>(param_.image_data_param().batch_size()); }
  TransformationParameter transform_param() const override {
    return merged_transform_param(param_.image_data_param());
  }
  int decode_threads() const override { return static_cast<int>(param_.image_data_param().decode_threads()); }
  void rewind(uint64_t seed) override;
  uint32_t rand_skip() const override { return param_.image_data_param().rand_skip(); }
  void skip_items(int64_t count) override;
  void next_item(SourceItem* item) override;
  void decode(const SourceItem& item, DecodedItem* out) const override;

 private:
  ImageList entries_;  // paths with root_folder prefixed
  std::vector<uint32_t> order_;
  size_t cursor_ = 0;
  bool shuffle_ = false;
  std::mt19937_64 rng_;
  ColorMode mode_ = ColorMode::Color;
  int new_height_ = 0;
  int new_width_ = 0;
};

}  // namespace hwgq
