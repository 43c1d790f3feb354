// The verbs of the hwgq command-line tool. Each lives in tools/<verb>.cpp, reads its
// options from the gflags in tools/flags.hpp, and returns the process exit code. User
// mistakes raise hwgq::Error, which main() prints on one line.
#pragma once

#include <string>
#include <vector>

namespace hwgq::cli {

struct Command {
  const char* name;
  const char* usage;    // e.g. "train --solver=S [--weights=W | --snapshot=X]"
  const char* summary;  // one line
  int (*run)(const std::vector<std::string>& args);
};

// Every verb, in the order `hwgq help` lists them (tools/command_table.cpp).
const std::vector<Command>& command_table();

int train(const std::vector<std::string>& args);
int test(const std::vector<std::string>& args);
int time(const std::vector<std::string>& args);
int device_query(const std::vector<std::string>& args);
int histogram(const std::vector<std::string>& args);
int binarize(const std::vector<std::string>& args);
int recalibrate(const std::vector<std::string>& args);
int quantizer(const std::vector<std::string>& args);

// `hwgq quantizer` on recorded activations: designs the quantizer (--levels/--bits,
// --method, --print_param as for the N(0,1) design) from `samples`, prints it with sample
// statistics and the N(0,1) design's error on the same samples. `source` names where the
// samples came from (e.g. `layer "qt2" input, 10 batches`). Samples must be finite and
// include a positive one.
int run_quantizer_from_samples(const std::vector<float>& samples, const std::string& source);
int convert_imageset(const std::vector<std::string>& args);
int compute_image_mean(const std::vector<std::string>& args);
int convert(const std::vector<std::string>& args);
int export_model(const std::vector<std::string>& args);
// `hwgq export --format=onnx`: the net as a standard ONNX model (docs/onnx.md).
int export_onnx_model(const std::vector<std::string>& args);
int infer(const std::vector<std::string>& args);
int plot(const std::vector<std::string>& args);
int summary(const std::vector<std::string>& args);

}  // namespace hwgq::cli
