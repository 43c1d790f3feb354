#include "hwgq/layers/image_data_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <numeric>

#include "hwgq/data/image_list.hpp"
#include "hwgq/data/image_resize.hpp"

namespace hwgq {

void ImageDataLayer::open_source() {
  const ImageDataParameter& p = param_.image_data_param();
  HWGQ_REQUIRE(!p.source().empty(), where() << "image_data_param.source is not set");
  HWGQ_REQUIRE((p.new_height() > 0) == (p.new_width() > 0),
               where() << "image_data_param needs both new_height and new_width, or neither (got "
                       << p.new_height() << " and " << p.new_width() << ")");
  new_height_ = static_cast<int>(p.new_height());
  new_width_ = static_cast<int>(p.new_width());
  mode_ = p.is_color() ? ColorMode::Color : ColorMode::Gray;
  shuffle_ = p.shuffle();

  try {
    entries_ = read_image_list(p.source());
  } catch (const Error& e) {
    HWGQ_FAIL(where() << e.what());
  }
  for (auto& entry : entries_) entry.first = p.root_folder() + entry.first;
  HWGQ_REQUIRE(!entries_.empty(), where() << "the image list " << p.source() << " names no images");
  // List order until rewind() (setup reads the first items in it to learn their shape).
  order_.resize(entries_.size());
  std::iota(order_.begin(), order_.end(), 0u);
  cursor_ = 0;
  LOG(INFO) << where() << entries_.size() << " images listed in " << p.source();
}

void ImageDataLayer::rewind(uint64_t seed) {
  rng_.seed(seed);
  std::iota(order_.begin(), order_.end(), 0u);
  if (shuffle_) std::shuffle(order_.begin(), order_.end(), rng_);
  cursor_ = 0;
}

void ImageDataLayer::skip_items(int64_t count) {
  // Whole epochs at a time: only the reshuffles at their ends need doing.
  while (count > 0) {
    if (cursor_ == order_.size()) {
      cursor_ = 0;
      if (shuffle_) std::shuffle(order_.begin(), order_.end(), rng_);
    }
    const int64_t step = std::min<int64_t>(count, static_cast<int64_t>(order_.size() - cursor_));
    cursor_ += static_cast<size_t>(step);
    count -= step;
  }
}

void ImageDataLayer::next_item(SourceItem* item) {
  if (cursor_ == order_.size()) {
    cursor_ = 0;
    if (shuffle_) std::shuffle(order_.begin(), order_.end(), rng_);
  }
  const auto& entry = entries_[order_[cursor_++]];
  item->name = entry.first;
  item->label = entry.second;
}

void ImageDataLayer::decode(const SourceItem& item, DecodedItem* out) const {
  out->image = read_image(item.name, mode_);
  if (new_height_ > 0) out->image = resize_bilinear(out->image, new_height_, new_width_);
  const Image& image = out->image;
  out->pixels = PixelData();
  out->pixels.bytes = image.pixels.data();
  out->pixels.channels = image.channels;
  out->pixels.height = image.height;
  out->pixels.width = image.width;
  out->pixels.layout = PixelLayout::hwc(image.channels, image.height, image.width);
  out->label = item.label;
}

}  // namespace hwgq
