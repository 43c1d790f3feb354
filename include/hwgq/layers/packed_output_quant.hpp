// The Quant layer whose output a packed binary layer computes itself, when the graph pass
// fuse_packed_quant found packed layer -> BatchNorm (folded into the Quant) -> Quant: the
// packed layer maps each value to its code as it leaves the accumulators and writes the
// Quant's output, so the float values never go to memory and the Quant has nothing to do.
#pragma once

#include "hwgq/blob.hpp"
#include "hwgq/kernels/binary_conv.hpp"

namespace hwgq {

class QuantLayer;

class PackedOutputQuant {
 public:
  void set(QuantLayer* quant, Blob* output) {
    quant_ = quant;
    output_ = output;
  }
  bool active() const { return quant_ != nullptr; }
  // Where this forward writes: the Quant's output with *codes set, when the Quant's cuts are
  // usable for the current statistics; otherwise own_top with *codes null.
  float* target(Blob* own_top, const kernels::OutputCodes** codes);
  // After writing the Quant's output: tells the Quant it has nothing to do this forward.
  void written();

 private:
  QuantLayer* quant_ = nullptr;
  Blob* output_ = nullptr;
  kernels::OutputCodes codes_;
  bool using_codes_ = false;
};

}  // namespace hwgq
