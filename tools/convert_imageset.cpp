#include <glog/logging.h>

#include <iostream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/convert_imageset.hpp"

DEFINE_int32(resize_height, 0, "convert_imageset: resize images to this height (with --resize_width)");
DEFINE_int32(resize_width, 0, "convert_imageset: resize images to this width (with --resize_height)");
DEFINE_bool(shuffle, false, "convert_imageset: shuffle the list before writing");
DEFINE_bool(encoded, false, "convert_imageset: store JPEG/PNG bytes instead of raw pixels");
DEFINE_string(encode_type, "", "convert_imageset: jpg or png for --encoded (default: each file's own format)");
DEFINE_bool(gray, false, "convert_imageset: store one gray channel instead of B, G, R");

namespace hwgq::cli {

int convert_imageset(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(args.size() == 3, "usage: hwgq convert_imageset [--resize_height=H --resize_width=W] [--shuffle] "
                                 "[--encoded [--encode_type=jpg|png]] [--gray] ROOTFOLDER/ LISTFILE DB_NAME");
  ConvertImagesetOptions options;
  options.resize_height = FLAGS_resize_height;
  options.resize_width = FLAGS_resize_width;
  options.shuffle = FLAGS_shuffle;
  options.encoded = FLAGS_encoded;
  options.encode_type = FLAGS_encode_type;
  options.gray = FLAGS_gray;
  const ConvertImagesetResult result = ::hwgq::convert_imageset(args[0], args[1], args[2], options);
  std::cout << "wrote " << result.written << " images to " << args[2];
  if (result.skipped) std::cout << " (skipped " << result.skipped << " unreadable)";
  std::cout << std::endl;
  return result.written > 0 ? 0 : 1;
}

}  // namespace hwgq::cli
