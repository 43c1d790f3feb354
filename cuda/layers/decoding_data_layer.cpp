// Data and ImageData on the GPU: the prefetch thread has uploaded the batch on the copy
// stream, so forward is a device-to-device copy on the compute stream
// (BatchPrefetcher::consume_into).
#include "hwgq/layers/decoding_data_layer.hpp"

namespace hwgq {

void DecodingDataLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  consumed_position_ = prefetcher_->consume_into(top[0], top.size() > 1 ? top[1] : nullptr, true);
}

}  // namespace hwgq
