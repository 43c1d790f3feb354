// A net as a standard ONNX model (opset 13, IR version 7) that onnxruntime and other ONNX
// runtimes run unchanged: binary layers as their alpha * sign(W) weights, Quant as a chain
// of Greater/Where operators that gives exactly the Quant layer's levels, BatchNorm as
// Sub/Mul with the layer's own inverse standard deviations, Caffe's pooling output sizes
// and divisors through explicit pads. The operators used per layer are in docs/onnx.md.
#pragma once

#include <string>
#include <vector>

#include "hwgq/net.hpp"
#include "hwgq/proto/onnx_model.pb.h"

namespace hwgq {

// The opset and IR version every exported model declares.
constexpr int kOnnxOpset = 13;
constexpr int kOnnxIrVersion = 7;

struct OnnxExportOptions {
  std::string producer_version;  // stored as producer_version, e.g. the hwgq version
  // Dimension 0 of inputs and outputs as a named (any-size) batch dimension "N" instead of
  // the net's batch size.
  bool dynamic_batch = true;
  // For checking an export segment by segment: each blob named here is, once computed, also
  // a graph output (under the name of the value holding it), and the layers after it read a
  // new graph input "<that name>.fed" instead, so that a runtime can be given the reference
  // values there and differences do not spread from one segment to the next. Cuts follow
  // the layers in order (Split and Dropout, which copy, make none): a blob written by
  // several layers in place is cut after each. Net outputs must not be cut.
  std::vector<std::string> cut_blobs;
};

// `net` is a TEST-phase net with its trained weights loaded, with or without the inference
// passes (the export reads each layer's parameters, not how it is scheduled). Raises
// hwgq::Error naming the first layer that has no ONNX form (its name and type), e.g. a
// data or loss layer or a packed binary layer.
onnx::ModelProto export_onnx(Net& net, const OnnxExportOptions& options = {});

}  // namespace hwgq
