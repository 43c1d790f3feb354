// Weight initialisation: constant, uniform, gaussian, xavier, msra (FillerParameter).
#pragma once

#include "hwgq/blob.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

// Fills blob->data. Fan-in is count / shape(0) and fan-out is count / shape(1), as for
// N x C x H x W convolution and N x K inner-product weights. An unknown filler type raises
// hwgq::Error listing the known ones.
void fill_blob(const FillerParameter& filler, Blob* blob);

}  // namespace hwgq
