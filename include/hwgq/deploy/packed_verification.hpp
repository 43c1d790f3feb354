// Float net against its packed model on the same batches: how many predictions agree, both
// accuracies, the largest output difference, and how many Quant outputs differ per layer.
// The packed integer sums are exact; the float path rounds each convolution's sum, which
// can move a BatchNorm output across a quantizer threshold. Those flips are the only source
// of differing codes, and counting them shows where any differing prediction comes from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hwgq/deploy/packed_runtime.hpp"
#include "hwgq/net.hpp"

namespace hwgq {

struct QuantFlips {
  std::string layer;
  int64_t values = 0;   // Quant outputs compared
  int64_t differ = 0;   // of which float and packed disagree
};

struct PackedVerification {
  int64_t images = 0;
  int64_t same_prediction = 0;  // same arg-max class
  int64_t labelled = 0;
  int64_t float_correct = 0;
  int64_t packed_correct = 0;
  float max_output_difference = 0.f;
  std::vector<QuantFlips> flips;
  // Images whose prediction differs although no Quant output of theirs differs (0 unless
  // something other than threshold rounding separates the two paths).
  int64_t differing_without_flip = 0;
  std::string to_text() const;
};

// Runs `iterations` batches: float_net (TEST, its data layer feeding `data_blob`, labels in
// `label_blob` or none) then the runtime on the same input, whose batch must equal the
// float net's. Outputs are compared on the runtime's output blob, found in float_net by name.
PackedVerification verify_packed(Net& float_net, PackedRuntime& runtime, const std::string& data_blob,
                                 const std::string& label_blob, int iterations);

}  // namespace hwgq
