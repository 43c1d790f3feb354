// Graph passes: rewrites of a built Net that callers choose explicitly (build_net's pass
// list, the solver for its test nets). Net itself knows no concrete layer type; every
// rewrite that needs to know one (folding BatchNorm into Quant for inference, lowering
// binary layers to packed ones) lives here, one pass per file.
#pragma once

#include <string>
#include <vector>

#include "hwgq/net.hpp"

namespace hwgq {

struct NetPass {
  const char* name;
  const char* summary;
  // Applies the pass to the net; returns how many rewrites it made (0 when nothing applied).
  int (*run)(Net& net);
};

// Every pass, in the order of src/passes/net_pass.cpp.
const std::vector<NetPass>& net_passes();

// Applies the named pass and returns its rewrite count; an unknown name raises hwgq::Error
// listing the known ones.
int apply_net_pass(Net& net, const std::string& name);

// The passes the solver's training net gets (and `hwgq time --phase=TRAIN`).
std::vector<std::string> default_training_passes();

// The passes a forward-only (TEST-phase) net gets unless its caller asks otherwise.
std::vector<std::string> default_inference_passes();

}  // namespace hwgq
