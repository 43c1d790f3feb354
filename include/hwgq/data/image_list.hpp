// Image list files, as Caffe's convert_imageset and ImageData layer read them: one
// "path label" per line. The label is the last whitespace-separated field, so paths may
// contain spaces; blank lines are ignored.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hwgq {

using ImageList = std::vector<std::pair<std::string, int>>;

// Raises hwgq::Error naming the file (and "file:line" for a malformed line).
ImageList read_image_list(const std::string& path);

}  // namespace hwgq
