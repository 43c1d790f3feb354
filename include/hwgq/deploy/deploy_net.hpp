// A deploy net made from a train_val prototxt, so that `hwgq export` takes the file users
// train with: the TEST-phase data layer becomes an Input of the shape it produces, and the
// layers that read its labels (Accuracy, the loss) are dropped, leaving the scores as the
// output. How the data layer turns stored pixels into the input is kept as a
// TransformationParameter for inference.
#pragma once

#include <string>

#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

struct DeployNet {
  NetParameter net;
  TransformationParameter transform;
  std::string data_blob;   // the input blob (the data layer's first top)
  std::string label_blob;  // the data layer's label top, empty when it has none
  int batch_size = 0;      // the data layer's TEST batch
};

// Whether the net has a data layer (Data, ImageData, IdxData) in its TEST phase.
bool has_test_data_layer(const NetParameter& net);

// Builds the TEST net once (opening its data source) to read the input shape. Raises
// hwgq::Error naming `origin` when there is no TEST data layer, or more than one.
DeployNet deploy_from_train_val(const NetParameter& train_val, const std::string& origin);

}  // namespace hwgq
