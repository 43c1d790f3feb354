// Helpers for layers with learnable parameters: weights either come from the prototxt's
// fillers or were loaded from a model file, and loaded ones must be checked, not refilled.
#pragma once

#include <string>
#include <vector>

#include "hwgq/blob.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

// Checks a parameter blob loaded from a model file against the shape the layer's settings
// imply and gives it exactly that shape. Caffe's legacy 4-d form is accepted: it pads
// shapes with leading ones (an inner-product weight N x K is stored as 1 x 1 x N x K), so
// leading ones are ignored on both sides. A mismatch raises hwgq::Error naming the layer
// (`where`), the blob (`what`) and both shapes.
void adopt_loaded_param(const std::string& where, const std::string& what, Blob* blob,
                        const std::vector<int>& expected);

// The weight blob (and, with bias_term, a bias of num_output values) of a convolution or
// inner product: loaded blobs are checked and adopted, missing ones created and filled.
void setup_weight_and_bias(const std::string& where, std::vector<std::shared_ptr<Blob>>* blobs,
                           const std::vector<int>& weight_shape, const FillerParameter& weight_filler,
                           bool bias_term, int num_output, const FillerParameter& bias_filler);

}  // namespace hwgq
