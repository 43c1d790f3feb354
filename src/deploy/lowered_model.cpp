#include "hwgq/deploy/lowered_model.hpp"

#include "hwgq/common.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

LoweredModel lower_model_file(const std::string& model_path, const std::string& weights_path) {
  LoweredModel lowered;
  read_text_proto(model_path, &lowered.model_file);
  // A train_val becomes a deploy net (Input instead of the data layer, no label readers).
  lowered.from_train_val = has_test_data_layer(lowered.model_file);
  if (lowered.from_train_val) lowered.derived = deploy_from_train_val(lowered.model_file, model_path);
  const NetParameter& deploy = lowered.from_train_val ? lowered.derived.net : lowered.model_file;
  NetBuildOptions options;  // no passes: the lowering reads the binary layers' real weights
  options.phase = TEST;
  options.origin = model_path;
  options.weights = {weights_path};
  lowered.trained = build_net(deploy, options);
  lowered.packed = lower_to_packed(deploy, *lowered.trained, &lowered.report);
  HWGQ_REQUIRE(lowered.report.packed_layers() > 0,
               model_path << " has no binary layer fed by a Quant layer: nothing to pack");
  return lowered;
}

void take_train_val_transform(LoweredModel* lowered, const std::string& model_path) {
  if (!lowered->from_train_val) return;
  HWGQ_REQUIRE(!lowered->derived.transform.has_mean_file(),
               model_path << ": the data layer subtracts a mean_file, which a packed model does not store; "
                          << "give its per-channel mean_value instead");
  *lowered->packed.mutable_transform() = lowered->derived.transform;
}

}  // namespace hwgq
