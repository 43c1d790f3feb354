#include "hwgq/data/convert_imageset.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cstdio>

#include "hwgq/common.hpp"
#include "hwgq/data/datum.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/data/image_resize.hpp"
#include "hwgq/data/image_list.hpp"
#include "hwgq/data/lmdb.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

namespace {

std::string format_of(ImageFormat format) { return format == ImageFormat::Png ? "png" : "jpg"; }

}  // namespace

ConvertImagesetResult convert_imageset(const std::string& root_folder, const std::string& list_file,
                                       const std::string& db_path, const ConvertImagesetOptions& options) {
  HWGQ_REQUIRE((options.resize_height > 0) == (options.resize_width > 0) && options.resize_height >= 0 &&
                   options.resize_width >= 0,
               "resize needs both a positive height and width, or neither (got " << options.resize_height << " x "
                                                                                 << options.resize_width << ")");
  HWGQ_REQUIRE(options.encode_type.empty() || options.encode_type == "jpg" || options.encode_type == "jpeg" ||
                   options.encode_type == "png",
               "unknown encode_type \"" << options.encode_type << "\"; use jpg or png");
  HWGQ_REQUIRE(options.encode_type.empty() || options.encoded, "encode_type needs --encoded");
  ImageList lines = read_image_list(list_file);
  HWGQ_REQUIRE(!lines.empty(), "the image list " << list_file << " names no images");
  if (options.shuffle) std::shuffle(lines.begin(), lines.end(), Context::get().rng());
  LOG(INFO) << "converting " << lines.size() << " images listed in " << list_file << " into " << db_path;

  const bool resize = options.resize_height > 0;
  const int wanted_channels = options.gray ? 1 : 3;
  LmdbWriter writer(db_path);
  ConvertImagesetResult result;
  Datum datum;
  std::string value;
  for (size_t index = 0; index < lines.size(); ++index) {
    const std::string path = root_folder + lines[index].first;
    const int label = lines[index].second;
    try {
      const std::string bytes = read_file(path);
      const ImageFormat format = detect_image_format(bytes.data(), bytes.size());
      Image image = decode_image(bytes, ColorMode::Native, path);
      const bool same_colour = image.channels == wanted_channels;
      if (!same_colour) image = convert_color(image, options.gray ? ColorMode::Gray : ColorMode::Color);
      if (resize) image = resize_bilinear(image, options.resize_height, options.resize_width);
      if (options.encoded) {
        const std::string type = options.encode_type.empty() ? format_of(format) : options.encode_type;
        const bool same_format = format_of(format) == (type == "jpeg" ? "jpg" : type);
        if (same_colour && !resize && same_format) {
          encoded_to_datum(bytes, image, label, &datum);
        } else {
          encoded_to_datum(encode_image(image, type), image, label, &datum);
        }
      } else {
        image_to_datum(image, label, &datum);
      }
    } catch (const Error& e) {
      LOG(WARNING) << "skipping " << e.what();
      ++result.skipped;
      continue;
    }
    char prefix[32];
    std::snprintf(prefix, sizeof(prefix), "%08zu_", index);
    HWGQ_REQUIRE(datum.SerializeToString(&value), "cannot serialize the Datum of " << path);
    writer.put(prefix + lines[index].first, value);
    if (++result.written % 1000 == 0) LOG(INFO) << "processed " << result.written << " images";
  }
  writer.close();
  LOG(INFO) << "wrote " << result.written << " images to " << db_path
            << (result.skipped ? ", skipped " + std::to_string(result.skipped) + " unreadable" : std::string());
  return result;
}

}  // namespace hwgq
