// IdxData on the GPU: the prefetch thread has uploaded the batch on the copy stream, so
// forward is a device-to-device copy on the compute stream (BatchPrefetcher::consume_into).
#include "hwgq/layers/idx_data_layer.hpp"

namespace hwgq {

void IdxDataLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  prefetcher_->consume_into(top[0], top.size() > 1 ? top[1] : nullptr, true);
  ++consumed_batches_;
}

}  // namespace hwgq
