#include "hwgq/layers/image_data_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <sstream>

#include "hwgq/util/io.hpp"

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

  entries_.clear();
  std::istringstream lines(read_file(p.source()));
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    size_t start = 0;
    while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start]))) ++start;
    if (start == line.size()) continue;
    const size_t split = line.find_last_of(" \t");
    HWGQ_REQUIRE(split != std::string::npos && split > start,
                 where() << p.source() << ":" << number << ": expected \"path label\", got \"" << line << "\"");
    const std::string label_text = line.substr(split + 1);
    size_t parsed = 0;
    int label = 0;
    try {
      label = std::stoi(label_text, &parsed);
    } catch (const std::exception&) {
      parsed = 0;
    }
    HWGQ_REQUIRE(parsed == label_text.size(), where() << p.source() << ":" << number << ": the label \""
                                                       << label_text << "\" is not an integer");
    size_t path_end = split;
    while (path_end > start && std::isspace(static_cast<unsigned char>(line[path_end - 1]))) --path_end;
    entries_.emplace_back(p.root_folder() + line.substr(start, path_end - start), label);
  }
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
