// The table of graph passes. Adding a pass means adding its header and one line here.
#include "hwgq/passes/net_pass.hpp"

#include <sstream>

#include "hwgq/passes/bf16_conv_backward.hpp"
#include "hwgq/passes/fold_batch_norm_quant.hpp"
#include "hwgq/passes/fuse_batch_norm_quant_training.hpp"
#include "hwgq/passes/fuse_packed_quant.hpp"
#include "hwgq/passes/integer_binary_forward.hpp"

namespace hwgq {

const std::vector<NetPass>& net_passes() {
  static const std::vector<NetPass> passes = {
      {"fold_batch_norm_quant", "BatchNorm (global statistics) folded into the Quant that reads it; TEST nets only",
       fold_batch_norm_quant},
      {"fuse_batch_norm_quant_training",
       "BatchNorm (batch statistics) and the Quant that reads it run forward and backward together on the CPU; "
       "training nets",
       fuse_batch_norm_quant_training},
      {"fuse_packed_quant",
       "a packed binary layer computes the folded BatchNorm + Quant after it from its accumulators (after "
       "fold_batch_norm_quant)",
       fuse_packed_quant},
      {"integer_binary_forward",
       "binary layers whose bottom is a uniform Quant's output forward with the exact integer kernel (CPU; training "
       "and test nets)",
       integer_binary_forward},
      {"bf16_conv_backward",
       "Convolution and BinaryConvolution layers run their CPU backward passes in bfloat16 on oneDNN (float "
       "gradients; where the CPU has AVX512_BF16, else a warning and float32)",
       bf16_conv_backward},
  };
  return passes;
}

int apply_net_pass(Net& net, const std::string& name) {
  for (const auto& pass : net_passes()) {
    if (name == pass.name) return pass.run(net);
  }
  std::ostringstream known;
  for (const auto& pass : net_passes()) known << (known.tellp() ? ", " : "") << pass.name;
  HWGQ_FAIL("unknown graph pass \"" << name << "\"; known passes: " << known.str());
}

std::vector<std::string> default_training_passes() { return {"fuse_batch_norm_quant_training", "integer_binary_forward"}; }

std::vector<std::string> default_inference_passes() { return {"fold_batch_norm_quant", "fuse_packed_quant", "integer_binary_forward"}; }

}  // namespace hwgq
