#include "hwgq/layers/packed_output_quant.hpp"

#include "hwgq/layers/quant_layer.hpp"

namespace hwgq {

float* PackedOutputQuant::target(Blob* own_top, const kernels::OutputCodes** codes) {
  using_codes_ = quant_ && quant_->producer_codes(&codes_);
  *codes = using_codes_ ? &codes_ : nullptr;
  return using_codes_ ? output_->mutable_cpu_data() : own_top->mutable_cpu_data();
}

void PackedOutputQuant::written() {
  if (using_codes_) quant_->mark_output_written();
}

}  // namespace hwgq
