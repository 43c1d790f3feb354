// hwgq export --format=onnx: a trained deploy (or train_val) net as a standard ONNX model.
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/deploy/deploy_net.hpp"
#include "hwgq/deploy/onnx_export.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/util/io.hpp"

DECLARE_string(transform_from);
DECLARE_int32(verify);

namespace hwgq::cli {

int export_onnx_model(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(args.empty(), "export takes no positional arguments (got \"" << args.front() << "\")");
  HWGQ_REQUIRE(!FLAGS_model.empty(), "export needs --model=path/to/deploy.prototxt");
  HWGQ_REQUIRE(!FLAGS_weights.empty(), "export needs --weights=path/to/trained.caffemodel");
  HWGQ_REQUIRE(!FLAGS_output.empty(), "export needs --output=path/for/the/model.onnx");
  HWGQ_REQUIRE(!std::filesystem::is_directory(FLAGS_output), "--output=" << FLAGS_output << " is a directory");
  HWGQ_REQUIRE(FLAGS_transform_from.empty() && FLAGS_verify == 0,
               "--transform_from and --verify apply to --format=packed only");
  for (const std::string& input : {FLAGS_model, FLAGS_weights}) {
    std::error_code ec;
    HWGQ_REQUIRE(!std::filesystem::exists(FLAGS_output, ec) || !std::filesystem::equivalent(input, FLAGS_output, ec),
                 "--output=" << FLAGS_output << " is one of export's inputs; choose another path");
  }
  apply_device_flags();
  NetParameter model_file;
  read_text_proto(FLAGS_model, &model_file);
  // A train_val becomes a deploy net (Input instead of the data layer, no label readers).
  const NetParameter deploy =
      has_test_data_layer(model_file) ? deploy_from_train_val(model_file, FLAGS_model).net : model_file;
  NetBuildOptions options;  // no passes: the export reads every layer's own parameters
  options.phase = TEST;
  options.origin = FLAGS_model;
  options.weights = {FLAGS_weights};
  const auto net = build_net(deploy, options);
  OnnxExportOptions export_options;
  export_options.producer_version = HWGQ_VERSION_STRING;
  const onnx::ModelProto model = export_onnx(*net, export_options);
  std::string bytes;
  HWGQ_REQUIRE(model.SerializeToString(&bytes), "could not serialise the ONNX model");
  write_file_atomic(FLAGS_output, bytes);
  std::cout << "wrote " << FLAGS_output << " (" << bytes.size() << " bytes): ONNX opset " << kOnnxOpset
            << ", IR version " << kOnnxIrVersion << ", " << model.graph().node_size() << " nodes, "
            << model.graph().initializer_size() << " initializers\n";
  return 0;
}

}  // namespace hwgq::cli
