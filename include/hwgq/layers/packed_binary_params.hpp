// Parameters both packed binary layers (PackedBinaryConvolution, PackedBinaryInnerProduct)
// read the same way: the levels of their input and their float bias.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hwgq/blob.hpp"
#include "hwgq/kernels/packed_types.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

// quant_param.centers: the levels the layer's input takes (the feeding Quant layer's
// centers). Required; hwgq::Error prefixed by `where` when missing or not valid levels.
kernels::ActivationLevels read_input_levels(const LayerParameter& param, const std::string& where);

// The bias blob (num_output values) when bias_term: a loaded one is checked and adopted,
// otherwise one is made and filled. The packed layers hold no float weights, so a loaded
// parameter list must hold exactly the bias (or nothing without bias_term).
void setup_packed_bias(const std::string& where, std::vector<std::shared_ptr<Blob>>* blobs, bool bias_term,
                       int num_output, const FillerParameter& bias_filler);

}  // namespace hwgq
