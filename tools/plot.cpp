// hwgq plot: training curves of one or more runs from their metrics files, as SVG.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <filesystem>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/common.hpp"
#include "hwgq/monitor/metrics_log.hpp"
#include "hwgq/monitor/training_curves.hpp"
#include "hwgq/util/io.hpp"

DEFINE_string(legend, "", "plot: legend labels for the --metrics files, comma-separated (default: the file names)");
DEFINE_string(series, "",
              "plot: comma-separated series, e.g. train/loss,test0/accuracy,train/lr,train/output/loss,"
              "train/images_per_s (default: the smoothed training loss, every output of test net 0, the learning rate)");
DEFINE_string(x, "iteration", "plot: the horizontal axis, iteration or epoch (epoch needs --epoch_size)");
DEFINE_int64(epoch_size, 0, "plot: training images per epoch, for --x=epoch");

namespace hwgq::cli {

int plot(const std::vector<std::string>& args) {
  const std::vector<std::string> files = split_commas(FLAGS_metrics == "auto" ? "" : FLAGS_metrics);
  HWGQ_REQUIRE(!files.empty(), "plot needs --metrics=RUN_metrics.jsonl[,OTHER.jsonl...]");
  HWGQ_REQUIRE(!FLAGS_output.empty(), "plot needs --output=FILE.svg");
  HWGQ_REQUIRE(std::filesystem::path(FLAGS_output).extension() == ".svg",
               "--output=" << FLAGS_output << ": plot writes SVG; name the file *.svg");
  HWGQ_REQUIRE(FLAGS_x == "iteration" || FLAGS_x == "epoch", "--x must be iteration or epoch, got \"" << FLAGS_x << "\"");
  HWGQ_REQUIRE(FLAGS_x != "epoch" || FLAGS_epoch_size > 0, "--x=epoch needs --epoch_size=<training images>");
  HWGQ_REQUIRE(FLAGS_epoch_size >= 0, "--epoch_size must not be negative, got " << FLAGS_epoch_size);
  const std::vector<std::string> labels = split_commas(FLAGS_legend);
  HWGQ_REQUIRE(labels.empty() || labels.size() == files.size(),
               "--legend names " << labels.size() << " runs but --metrics has " << files.size());
  std::vector<TrainingRun> runs;
  for (size_t i = 0; i < files.size(); ++i) {
    HWGQ_REQUIRE(std::filesystem::weakly_canonical(files[i]) != std::filesystem::weakly_canonical(FLAGS_output),
                 "--output=" << FLAGS_output << " is one of the --metrics files");
    runs.push_back({labels.empty() ? std::filesystem::path(files[i]).stem().string() : labels[i],
                    read_metrics_log(files[i])});
  }
  TrainingCurveOptions options;
  options.against_epochs = FLAGS_x == "epoch";
  options.epoch_size = FLAGS_epoch_size;
  options.series = split_commas(FLAGS_series);
  write_file_atomic(FLAGS_output, training_curves_svg(runs, options));
  LOG(INFO) << "Wrote " << FLAGS_output << " (" << runs.size() << " runs)";
  return 0;
}

}  // namespace hwgq::cli
