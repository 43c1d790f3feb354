#include "hwgq/layers/image_data_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <numeric>

#include "hwgq/data/image_list.hpp"

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
  // Seeded from the run's generator, so random_seed fixes the shuffled order.
  rng_.seed(Context::get().rng()());
  order_.resize(entries_.size());
  std::iota(order_.begin(), order_.end(), 0u);
  cursor_ = 0;
  LOG(INFO) << where() << entries_.size() << " images listed in " << p.source();
}

void ImageDataLayer::begin() {
  std::iota(order_.begin(), order_.end(), 0u);
  if (shuffle_) std::shuffle(order_.begin(), order_.end(), rng_);
  cursor_ = 0;
  const uint32_t rand_skip = param_.image_data_param().rand_skip();
  if (rand_skip > 0) {
    const uint32_t skip = std::uniform_int_distribution<uint32_t>(0, rand_skip - 1)(Context::get().rng());
    LOG(INFO) << where() << "skipping the first " << skip << " images";
    SourceItem ignored;
    for (uint32_t i = 0; i < skip; ++i) next_item(&ignored);
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
