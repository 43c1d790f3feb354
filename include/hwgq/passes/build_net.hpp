// The one way tools and library users build a net: model, weights, phase, then the graph
// passes the caller asks for, in that order (passes such as BatchNorm->Quant folding read
// the weights as they are at each forward, so loading first is not required by them, but
// lowering passes that rewrite weights need them loaded).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hwgq/net.hpp"

namespace hwgq {

struct NetBuildOptions {
  Phase phase = TEST;
  // Weight files (.caffemodel, or text NetParameter) copied in order by layer name;
  // empty: the net keeps its initial weights.
  std::vector<std::string> weights;
  // Graph passes (include/hwgq/passes/net_pass.hpp) applied in order after the weights.
  std::vector<std::string> passes;
  // > 0: every Input and data layer gets this batch size.
  int batch_size = 0;
  // Names the model in error messages (a path, or "net").
  std::string origin = "net";
};

// Options for a forward-only net: TEST phase with the default inference passes.
NetBuildOptions inference_options();

std::unique_ptr<Net> build_net(const NetParameter& model, const NetBuildOptions& options);
// Reads the prototxt at model_path (errors name it, with line:column).
std::unique_ptr<Net> build_net(const std::string& model_path, NetBuildOptions options);

}  // namespace hwgq
