#include "flags.hpp"

#include <glog/logging.h>

#include <filesystem>
#include <sstream>

#include "hwgq/common.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/util/device_memory.hpp"
#include "hwgq/util/thread_wait_policy.hpp"

DEFINE_string(solver, "", "solver prototxt (train)");
DEFINE_string(model, "", "net prototxt (test, time, binarize, histogram, quantizer)");
DEFINE_string(weights, "", "weights to start from or evaluate (.caffemodel); comma-separated files are loaded in turn");
DEFINE_string(snapshot, "", ".solverstate to resume training from");
DEFINE_string(output, "", "output file or folder");
DEFINE_int32(iterations, 50, "iterations to run (test, time)");
DEFINE_int32(batch, 0, "override the batch size of the net's inputs (time); 0 keeps the prototxt's");
DEFINE_int32(gpu, -1, "GPU id to run on; -1 runs on the CPU");
DEFINE_int32(threads, 0, "CPU threads for BLAS and elementwise loops; 0 keeps the library default");
DEFINE_string(phase, "", "TRAIN or TEST: the net phase (time defaults to TRAIN, test to TEST)");
DEFINE_string(layer, "", "layer name (quantizer --model mode)");
DEFINE_string(format, "",
              "export: packed (default; the HWGQPACK file of docs/packed_model.md) or onnx (a standard ONNX model, "
              "docs/onnx.md); summary: table (default; aligned columns) or json (for scripts)");
DEFINE_string(metrics, "auto",
              "train: the metrics file written (JSON lines: iteration, lr, train and test outputs, images/s, wall "
              "time); auto = <snapshot_prefix>_metrics.jsonl next to the snapshots, none = no file. plot: the "
              "metrics files to draw, comma-separated");

namespace hwgq::cli {

namespace {

// Verbs whose operands are positional (paths), as in Caffe's tools.
bool takes_positional_arguments(const std::string& verb) {
  return verb == "convert_imageset" || verb == "compute_image_mean";
}

void check_input_file(const std::string& flag, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  HWGQ_REQUIRE(fs::exists(status), "--" << flag << "=" << path << ": no such file");
  HWGQ_REQUIRE(!fs::is_directory(status), "--" << flag << "=" << path << " is a folder; it must name a file");
  // An empty prototxt or caffemodel parses as an empty message and would run on defaults.
  HWGQ_REQUIRE(!fs::is_regular_file(status) || fs::file_size(path, ec) > 0,
               "--" << flag << "=" << path << " is an empty file");
}

}  // namespace

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

void validate_flags(const std::string& verb, const std::vector<std::string>& args) {
  HWGQ_REQUIRE(args.empty() || takes_positional_arguments(verb),
               verb << " takes no positional arguments, got \"" << (args.empty() ? "" : args.front())
                    << "\" (flags are written --name=value)");
  HWGQ_REQUIRE(FLAGS_phase.empty() || FLAGS_phase == "TRAIN" || FLAGS_phase == "TEST",
               "--phase must be TRAIN or TEST, got \"" << FLAGS_phase << "\"");
  HWGQ_REQUIRE(FLAGS_gpu >= -1, "--gpu must be a GPU id or -1 for the CPU, got " << FLAGS_gpu);
  HWGQ_REQUIRE(FLAGS_threads >= 0 && FLAGS_threads <= 1024,
               "--threads must be in [0, 1024] (0 keeps the library default), got " << FLAGS_threads);
  for (const char* flag : {"solver", "model", "snapshot", "transform_from"}) {
    std::string value;
    if (gflags::GetCommandLineOption(flag, &value) && !value.empty()) check_input_file(flag, value);
  }
  // --weights takes comma-separated files, loaded in turn.
  for (const auto& path : split_commas(FLAGS_weights)) check_input_file("weights", path);
}

std::string flags_help() {
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  std::ostringstream text;
  for (const auto& flag : flags) {
    // gflags and glog define flags of their own; the tool's are those under tools/.
    if (flag.filename.find("tools/") == std::string::npos) continue;
    text << "  --" << flag.name << " (" << flag.description << ") type: " << flag.type << " default: \""
         << flag.default_value << "\"\n";
  }
  return text.str();
}

void apply_device_flags() {
  set_num_threads(FLAGS_threads);
  LOG(INFO) << "CPU threads: " << num_threads() << "; " << describe_thread_wait_policy();
  if (FLAGS_gpu >= 0) {
    select_device(FLAGS_gpu);
    Context::get().set_mode(Mode::GPU);
    Context::get().set_device(FLAGS_gpu);
  } else {
    Context::get().set_mode(Mode::CPU);
  }
}

}  // namespace hwgq::cli
