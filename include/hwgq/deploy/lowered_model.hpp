// A prototxt + weights lowered to a packed model: what `hwgq export` and the Python
// package's export_packed share before each writes and checks the result its own way.
#pragma once

#include <memory>
#include <string>

#include "hwgq/deploy/deploy_net.hpp"
#include "hwgq/net.hpp"
#include "hwgq/passes/lower_to_packed.hpp"

namespace hwgq {

struct LoweredModel {
  NetParameter model_file;        // the prototxt as read
  bool from_train_val = false;    // a train_val (with a TEST data layer), not a deploy net
  DeployNet derived;              // its deploy form, when from_train_val
  std::unique_ptr<Net> trained;   // the deploy net with the trained weights, no passes applied
  PackedModelProto packed;
  PackedModelReport report;
};

// Reads `model_path` (a deploy or a train_val prototxt), builds its deploy form with
// `weights_path` and lowers the binary layers fed by Quant layers. Raises hwgq::Error when
// nothing can be packed.
LoweredModel lower_model_file(const std::string& model_path, const std::string& weights_path);

// Gives `lowered->packed` the train_val data layer's transform_param (crop, mean values,
// scale); raises hwgq::Error when that transform subtracts a mean_file, which a packed model
// does not store. Does nothing for a deploy net.
void take_train_val_transform(LoweredModel* lowered, const std::string& model_path);

}  // namespace hwgq
