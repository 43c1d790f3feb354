// hwgq summary: per layer the output shape, parameters, MACs, weight and activation bits
// and parameter memory (float32 and as `hwgq export` packs it), then the totals and the
// share of MACs with 1-bit weights (include/hwgq/analysis/net_summary.hpp).
#include <iostream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/analysis/net_summary.hpp"
#include "hwgq/passes/build_net.hpp"


namespace hwgq::cli {

int summary(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "summary needs --model=path/to/net.prototxt");
  const std::string format = FLAGS_format.empty() ? "table" : FLAGS_format;
  HWGQ_REQUIRE(format == "table" || format == "json",
               "--format must be table or json, got \"" << FLAGS_format << "\"");
  HWGQ_REQUIRE(FLAGS_batch >= 0, "--batch must be positive, got " << FLAGS_batch);
  // The counts come from the graph and its shapes alone; no graph pass runs, so every
  // layer of the prototxt is listed as written.
  NetBuildOptions options;
  options.phase = FLAGS_phase == "TRAIN" ? TRAIN : TEST;
  options.batch_size = FLAGS_batch;
  // Weights change no count, but loading them checks that the file matches the model
  // (every stored blob's shape), which is what a summary before a deployment should show.
  options.weights = split_commas(FLAGS_weights);
  const auto net = build_net(FLAGS_model, options);
  const NetSummary summary = summarize_net(*net);
  std::cout << (format == "json" ? summary.to_json() : summary.to_table());
  return 0;
}

}  // namespace hwgq::cli
