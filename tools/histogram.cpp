// hwgq histogram: for each Quant layer of a trained net, a plot of what flows into it
// against the half-wave Gaussian density, with the quantizer's levels and thresholds.
#include <glog/logging.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/analysis/activation_recorder.hpp"
#include "hwgq/analysis/histogram_svg.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::cli {

int histogram(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_model.empty(), "histogram needs --model=path/to/train_val.prototxt");
  HWGQ_REQUIRE(FLAGS_iterations > 0, "--iterations must be positive, got " << FLAGS_iterations);
  apply_device_flags();
  // No graph passes: the recorder reads each Quant layer's bottom, which must hold
  // BatchNorm's output rather than be folded away.
  NetBuildOptions options;
  options.phase = TEST;
  if (FLAGS_weights.empty()) {
    LOG(WARNING) << "no --weights given: plotting the net's initial (random) weights";
  } else {
    options.weights = {FLAGS_weights};
  }
  const auto built = build_net(FLAGS_model, options);
  Net& net = *built;
  const auto names = quant_layer_names(net);
  HWGQ_REQUIRE(!names.empty(), FLAGS_model << " has no Quant layer to plot");
  const std::string folder = FLAGS_output.empty() ? "histograms" : FLAGS_output;
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  HWGQ_REQUIRE(!ec, "cannot create " << folder << ": " << ec.message());

  const auto samples = record_layer_inputs(net, names, FLAGS_iterations);
  for (const auto& name : names) {
    const auto* quant = dynamic_cast<const QuantLayer*>(net.layer_by_name(name));
    std::vector<double> levels, thresholds;
    if (quant->layer_param().quant_param().forward_func() == "hwgq") {
      // t_1 = 0, then the midpoints between levels (hwgq-paper.md 1.2).
      levels.assign(quant->centers().begin(), quant->centers().end());
      thresholds.push_back(0.0);
      for (size_t j = 0; j + 1 < levels.size(); ++j) thresholds.push_back(quant->thresholds()[j]);
    }
    const std::string path = folder + "/" + name + ".svg";
    write_histogram_svg(path, samples.at(name), levels, thresholds,
                        "input of " + name + " (" + FLAGS_model + ")");
    std::cout << "wrote " << path << " (" << samples.at(name).size() << " samples)\n";
  }
  return 0;
}

}  // namespace hwgq::cli
