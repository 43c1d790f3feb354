// The deploy runtime: a packed model file (`hwgq export`) loaded into a forward-only net
// whose binary layers compute on sign bits and 2-bit codes (PackedBinaryConvolution /
// PackedBinaryInnerProduct), with BatchNorm folded into each Quant.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hwgq/net.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

class PackedRuntime {
 public:
  // Reads and checks the file; batch_size > 0 sets the batch of the net's input.
  explicit PackedRuntime(const std::string& path, int batch_size = 0);
  PackedRuntime(const PackedModelProto& model, int batch_size, const std::string& origin);

  Net& net() { return *net_; }
  // The net's one input blob (N x C x H x W): fill it, then forward().
  Blob& input() { return *net_->input_blobs()[0]; }
  // Runs the net; returns its last output blob (class scores for a classifier).
  const Blob& forward();
  const Blob& output() const { return *net_->output_blobs().back(); }

  // How images become the input, as stored at export (defaults when none was given).
  const TransformationParameter& transform() const { return transform_; }
  int packed_layers() const { return packed_layers_; }
  // Bytes the weights take in memory: packed layers' bits and alphas plus every float blob
  // (including the weights of binary layers with a float input, expanded at load).
  int64_t weight_bytes() const { return weight_bytes_; }

 private:
  void load(const PackedModelProto& model, int batch_size, const std::string& origin);

  std::unique_ptr<Net> net_;
  TransformationParameter transform_;
  int packed_layers_ = 0;
  int64_t weight_bytes_ = 0;
};

}  // namespace hwgq
