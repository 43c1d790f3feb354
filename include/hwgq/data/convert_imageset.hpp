// Building an LMDB of Datum records from a list of image files (the work behind
// `hwgq convert_imageset`), compatible with Caffe's tool of the same name: keys are
// "%08d_<path>" in list order (after the optional shuffle), values are raw planar B, G, R
// (or gray) Datums, or encoded JPEG/PNG ones.
#pragma once

#include <cstdint>
#include <string>

namespace hwgq {

struct ConvertImagesetOptions {
  // Both set: every image is resized (bilinear) to this size. Both 0: sizes are kept.
  int resize_height = 0;
  int resize_width = 0;
  // Shuffle the list (from the run's generator) before writing.
  bool shuffle = false;
  // Store JPEG/PNG bytes instead of raw pixels. A file that needs no change (no resize,
  // no colour conversion, same format) is stored byte for byte.
  bool encoded = false;
  // "jpg" or "png" for encoded records; empty keeps each file's own format.
  std::string encode_type;
  // One gray channel instead of B, G, R.
  bool gray = false;
};

struct ConvertImagesetResult {
  int64_t written = 0;
  int64_t skipped = 0;  // unreadable images, logged one by one
};

// Reads `list_file` ("path label" lines, paths relative to `root_folder`, which is
// prefixed as given) and writes a new LMDB at `db_path`, which must not exist yet.
ConvertImagesetResult convert_imageset(const std::string& root_folder, const std::string& list_file,
                                       const std::string& db_path, const ConvertImagesetOptions& options);

}  // namespace hwgq
