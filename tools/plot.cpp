// hwgq plot: training curves of one or more runs from their metrics files, as SVG, or as
// PNG rendered from that SVG by librsvg's rsvg-convert.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

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

extern char** environ;

namespace hwgq::cli {

namespace {

// Renders `svg` into the PNG file `png` with rsvg-convert (Debian: librsvg2-bin), through
// temporary files beside it, so that `png` only ever appears complete.
void write_png_from_svg(const std::string& svg, const std::string& png) {
  const std::string pid = std::to_string(getpid());
  const std::string svg_tmp = png + ".svg.tmp." + pid;
  const std::string png_tmp = png + ".tmp." + pid;
  write_file_atomic(svg_tmp, svg);
  std::vector<std::string> words = {"rsvg-convert", "--format=png", "--background-color=white", "--output=" + png_tmp,
                                    svg_tmp};
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  pid_t child = 0;
  const int spawned = posix_spawnp(&child, "rsvg-convert", nullptr, nullptr, argv.data(), environ);
  int status = 0;
  const bool rendered = spawned == 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
                        WEXITSTATUS(status) == 0;
  std::error_code ignored;
  std::filesystem::remove(svg_tmp, ignored);
  if (!rendered) std::filesystem::remove(png_tmp, ignored);
  HWGQ_REQUIRE(spawned == 0, "PNG output needs rsvg-convert (Debian: apt-get install librsvg2-bin); "
                             "or write --output=FILE.svg");
  HWGQ_REQUIRE(rendered, "rsvg-convert failed to render " << png);
  std::filesystem::rename(png_tmp, png);
}

}  // namespace

int plot(const std::vector<std::string>& args) {
  const std::vector<std::string> files = split_commas(FLAGS_metrics == "auto" ? "" : FLAGS_metrics);
  HWGQ_REQUIRE(!files.empty(), "plot needs --metrics=RUN_metrics.jsonl[,OTHER.jsonl...]");
  HWGQ_REQUIRE(!FLAGS_output.empty(), "plot needs --output=FILE.svg or FILE.png");
  const std::string format = std::filesystem::path(FLAGS_output).extension().string();
  HWGQ_REQUIRE(format == ".svg" || format == ".png",
               "--output=" << FLAGS_output << ": plot writes SVG or PNG; name the file *.svg or *.png");
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
  const std::string svg = training_curves_svg(runs, options);
  if (format == ".svg") {
    write_file_atomic(FLAGS_output, svg);
  } else {
    write_png_from_svg(svg, FLAGS_output);
  }
  LOG(INFO) << "Wrote " << FLAGS_output << " (" << runs.size() << " runs)";
  return 0;
}

}  // namespace hwgq::cli
