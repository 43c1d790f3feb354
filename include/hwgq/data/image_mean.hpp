// The per-pixel mean image of an LMDB of Datums (the work behind `hwgq
// compute_image_mean`), written as Caffe does: a BlobProto of 1 x C x H x W in the legacy
// num/channels/height/width fields, usable as transform_param.mean_file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

struct ImageMean {
  BlobProto mean;
  std::vector<double> channel_means;  // the mean of each channel over all pixels
  int64_t count = 0;                  // records averaged
  int64_t skipped = 0;                // unreadable records, logged and left out
};

// Encoded records are decoded as stored (gray stays 1-channel). Records whose shape
// differs from the first readable one raise hwgq::Error naming the key.
ImageMean compute_image_mean(const std::string& db_path);

}  // namespace hwgq
