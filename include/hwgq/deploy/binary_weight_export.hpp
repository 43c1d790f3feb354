// Deploy export of a binary-weight model: BinaryConvolution / BinaryInnerProduct layers
// become plain Convolution / InnerProduct layers holding alpha * sign(W) (the form the HWGQ
// authors ship as deploy_bw.prototxt + *_BW.caffemodel), so any Caffe-compatible runtime
// runs the model and the weights are visibly binary: each output filter holds exactly
// two values, +alpha_i and -alpha_i.
#pragma once

#include "hwgq/net.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

struct BinarizedModel {
  NetParameter net;      // the prototxt with binary layers made plain
  NetParameter weights;  // the weights, binary layers holding alpha * sign(W)
  int binarized_layers = 0;
};

// `trained` must be built from `model` with its weights loaded.
BinarizedModel binarize_model(const NetParameter& model, Net& trained);

// Runs one forward pass of each net on identical inputs (Input blobs filled with the same
// seeded values; data layers read their first batch) and returns the largest absolute
// difference over the output blobs of the same name, or NaN when an output of either net
// holds NaN (such outputs cannot be shown equal). Raises hwgq::Error when the nets'
// outputs differ in names or shapes.
float max_output_difference(Net& a, Net& b, uint64_t seed = 1);

}  // namespace hwgq
