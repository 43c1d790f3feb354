// hwgq infer: classify images with a packed model (`hwgq export`): image files, an LMDB of
// Datums, or IDX image files; top-k classes and scores per image, and top-1 / top-5
// accuracy where labels are known (LMDB labels, or --labels for IDX images).
#include <glog/logging.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/data/data_transformer.hpp"
#include "hwgq/data/datum.hpp"
#include "hwgq/data/idx_reader.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/data/image_resize.hpp"
#include "hwgq/data/lmdb.hpp"
#include "hwgq/deploy/packed_runtime.hpp"

DEFINE_string(images, "",
              "infer: image files (comma-separated), an LMDB folder of Datums, or an IDX images file");
DEFINE_string(labels, "", "infer: IDX labels file for IDX --images (accuracy is reported)");
DEFINE_int32(top_k, 5, "infer: classes listed per image");
DEFINE_int32(show, -1, "infer: images listed one per line; -1 lists every image of a file list and none of a dataset");

namespace hwgq::cli {

namespace {

// One image ready for the transformer: its pixels (C x H x W or interleaved), its name,
// and its label (-1 when unknown).
struct Item {
  std::string name;
  int label = -1;
  Image image;             // decoded images (files, encoded Datums)
  std::vector<uint8_t> planar;  // raw Datums and IDX images, C x H x W
  int channels = 0, height = 0, width = 0;
};

// An IDX images file, raw or gzip-compressed (as Debian ships Fashion-MNIST).
bool is_idx_images(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[4] = {};
  if (!in.read(reinterpret_cast<char*>(magic), 4)) return false;
  if (magic[0] == 0 && magic[1] == 0 && magic[2] == 8 && magic[3] == 3) return true;
  if (magic[0] != 0x1f || magic[1] != 0x8b) return false;
  try {
    read_idx_header(path, 3);
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Reads every item of --images.
std::vector<Item> read_items(int channels, bool* dataset) {
  std::vector<Item> items;
  const ColorMode mode = channels == 1 ? ColorMode::Gray : ColorMode::Color;
  const std::string& source = FLAGS_images;
  if (std::filesystem::is_directory(source)) {
    *dataset = true;
    LmdbReader reader(source);
    HWGQ_REQUIRE(reader.size() > 0, "LMDB " << source << " holds no records");
    for (size_t i = 0; i < reader.size(); ++i) {
      std::string key, value;
      reader.next(&key, &value);
      Datum datum;
      HWGQ_REQUIRE(datum.ParseFromString(value), source << ": record \"" << key << "\" is not a Datum");
      Item item;
      item.name = key;
      item.label = datum.label();
      Image decoded;
      const PixelData pixels = datum_pixels(datum, mode, source + ": " + key, &decoded);
      HWGQ_REQUIRE(pixels.bytes, source << ": record \"" << key << "\" holds float data; infer reads 8-bit images");
      item.channels = pixels.channels;
      item.height = pixels.height;
      item.width = pixels.width;
      if (!decoded.pixels.empty()) {
        item.image = std::move(decoded);
      } else {
        item.planar.assign(pixels.bytes, pixels.bytes + size_t(pixels.channels) * pixels.height * pixels.width);
      }
      items.push_back(std::move(item));
    }
    return items;
  }
  if (is_idx_images(source)) {
    *dataset = true;
    const IdxArray images = read_idx_images(source);
    const int n = images.dims[0], rows = images.dims[1], cols = images.dims[2];
    std::vector<uint8_t> labels;
    if (!FLAGS_labels.empty()) {
      const IdxArray read = read_idx_labels(FLAGS_labels);
      HWGQ_REQUIRE(read.dims[0] == n, FLAGS_labels << " holds " << read.dims[0] << " labels for " << n << " images");
      labels = read.values;
    }
    for (int i = 0; i < n; ++i) {
      Item item;
      item.name = std::to_string(i);
      item.label = labels.empty() ? -1 : labels[i];
      item.channels = 1;
      item.height = rows;
      item.width = cols;
      const uint8_t* first = images.values.data() + size_t(i) * rows * cols;
      item.planar.assign(first, first + size_t(rows) * cols);
      items.push_back(std::move(item));
    }
    return items;
  }
  HWGQ_REQUIRE(FLAGS_labels.empty(), "--labels goes with IDX --images only");
  *dataset = false;
  for (const auto& path : split_commas(source)) {
    Item item;
    item.name = path;
    item.image = read_image(path, mode);
    item.channels = item.image.channels;
    item.height = item.image.height;
    item.width = item.image.width;
    items.push_back(std::move(item));
  }
  HWGQ_REQUIRE(!items.empty(), "--images names no image");
  return items;
}

// Fills one input slot from an item: resized to the net's input (or to the crop's source
// size) when the stored size differs, then scale / mean / crop as stored at export.
void fill_input(Item& item, const DataTransformer& transformer, int height, int width, int crop, float* dst) {
  std::mt19937_64 unused_rng(0);
  const int want_h = crop > 0 ? std::max(crop, item.height) : height;
  const int want_w = crop > 0 ? std::max(crop, item.width) : width;
  if (item.height != want_h || item.width != want_w) {
    if (item.image.pixels.empty()) {
      // Planar bytes to an interleaved image first, so that one resize serves both forms.
      Image image;
      image.height = item.height;
      image.width = item.width;
      image.channels = item.channels;
      image.pixels.resize(item.planar.size());
      for (int c = 0; c < item.channels; ++c)
        for (int h = 0; h < item.height; ++h)
          for (int w = 0; w < item.width; ++w)
            image.at(h, w, c) = item.planar[(size_t(c) * item.height + h) * item.width + w];
      item.image = std::move(image);
      item.planar.clear();
    }
    item.image = resize_bilinear(item.image, want_h, want_w);
    item.height = want_h;
    item.width = want_w;
  }
  transformer.check_input(item.channels, item.height, item.width);
  if (!item.image.pixels.empty()) {
    transformer.transform(item.image.pixels.data(), PixelLayout::hwc(item.channels, item.height, item.width),
                          item.channels, item.height, item.width, dst, unused_rng);
  } else {
    transformer.transform(item.planar.data(), PixelLayout::chw(item.channels, item.height, item.width),
                          item.channels, item.height, item.width, dst, unused_rng);
  }
}

}  // namespace

int infer(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(args.empty(), "infer takes no positional arguments (got \"" << args.front() << "\")");
  HWGQ_REQUIRE(!FLAGS_model.empty(), "infer needs --model=path/to/model.hwgq (written by `hwgq export`)");
  HWGQ_REQUIRE(!FLAGS_images.empty(), "infer needs --images=FILES|LMDB|IDX");
  HWGQ_REQUIRE(FLAGS_top_k > 0, "--top_k must be positive, got " << FLAGS_top_k);
  HWGQ_REQUIRE(FLAGS_batch >= 0, "--batch must be positive, got " << FLAGS_batch);
  apply_device_flags();
  HWGQ_REQUIRE(Context::get().mode() == Mode::CPU, "infer runs on the CPU (packed layers have no GPU code)");
  PackedRuntime runtime(FLAGS_model, FLAGS_batch);
  Blob& input = runtime.input();
  HWGQ_REQUIRE(input.num_axes() == 4, FLAGS_model << ": infer needs an N x C x H x W input, the model has "
                                                  << input.shape_string());
  const int batch = input.shape(0), channels = input.shape(1), height = input.shape(2), width = input.shape(3);
  TransformationParameter transform = runtime.transform();
  HWGQ_REQUIRE(transform.crop_size() == 0 || (int(transform.crop_size()) == height && height == width),
               FLAGS_model << ": stored crop_size " << transform.crop_size() << " disagrees with the input "
                           << input.shape_string());
  DataTransformer transformer(transform, TEST, "infer");

  bool dataset = false;
  std::vector<Item> items = read_items(channels, &dataset);
  for (const Item& item : items) {
    HWGQ_REQUIRE(item.channels == channels, item.name << " has " << item.channels << " channel(s), the model takes "
                                                      << channels);
  }
  const int show = FLAGS_show >= 0 ? FLAGS_show : (dataset ? 0 : static_cast<int>(items.size()));
  int64_t labelled = 0, top1 = 0, top5 = 0;
  const size_t image_floats = size_t(channels) * height * width;
  for (size_t first = 0; first < items.size(); first += batch) {
    const size_t count = std::min(items.size() - first, size_t(batch));
    float* data = input.mutable_cpu_data();
    std::fill(data, data + input.count(), 0.f);
    for (size_t i = 0; i < count; ++i) {
      fill_input(items[first + i], transformer, height, width, transform.crop_size(), data + i * image_floats);
    }
    const Blob& output = runtime.forward();
    const int classes = output.count() / output.shape(0);
    for (size_t i = 0; i < count; ++i) {
      const Item& item = items[first + i];
      const float* scores = output.cpu_data() + i * classes;
      std::vector<int> order(classes);
      std::iota(order.begin(), order.end(), 0);
      const int k = std::min(FLAGS_top_k, classes);
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [scores](int a, int b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
      if (item.label >= 0) {
        HWGQ_REQUIRE(item.label < classes, item.name << " has label " << item.label << ", but the model scores "
                                                     << classes << " classes");
        ++labelled;
        // As the Accuracy layer counts: the label is in the top k when fewer than k classes
        // score strictly higher (ties go to the label); a NaN score is a miss.
        int higher = 0;
        for (int c = 0; c < classes; ++c) higher += scores[c] > scores[item.label];
        const bool valid = !std::isnan(scores[item.label]);
        top1 += valid && higher < 1;
        top5 += valid && higher < 5;
      }
      if (static_cast<int>(first + i) < show) {
        std::ostringstream line;
        line << item.name << ":";
        if (item.label >= 0) line << " label " << item.label << ",";
        for (int j = 0; j < k; ++j) line << " " << order[j] << " (" << std::setprecision(4) << scores[order[j]] << ")";
        std::cout << line.str() << "\n";
      }
    }
  }
  std::cout << "images: " << items.size() << "\n";
  if (labelled > 0) {
    std::cout << std::fixed << std::setprecision(4) << "top-1 accuracy = " << double(top1) / labelled << "\n"
              << "top-5 accuracy = " << double(top5) / labelled << "\n";
  }
  return 0;
}

}  // namespace hwgq::cli
