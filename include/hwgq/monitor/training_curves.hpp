// Training curves from metrics files: one panel per quantity (the smoothed training loss,
// each test output, the learning rate), several runs overlaid with a legend.
#pragma once

#include <string>
#include <vector>

#include "hwgq/training_record.hpp"

namespace hwgq {

struct TrainingRun {
  std::string label;
  std::vector<TrainingRecord> records;
};

struct TrainingCurveOptions {
  // Against training iterations, or against epochs (iteration x images_per_iteration /
  // epoch_size; epoch_size is the number of training images and must then be > 0).
  bool against_epochs = false;
  long epoch_size = 0;
  // Series to draw, named as the TensorBoard tags are: "train/loss" (smoothed), "train/lr",
  // "train/images_per_s", "train/output/<output>", "test<k>/<output>";
  // empty: train/loss, every test output of the first test net, train/lr.
  std::vector<std::string> series;
};

// A series' points (x, y) in one run, in record order, non-finite values left out.
std::vector<std::pair<double, double>> curve_points(const TrainingRun& run, const std::string& series,
                                                    const TrainingCurveOptions& options);
// The series drawn by default for these runs (see TrainingCurveOptions::series).
std::vector<std::string> default_curve_series(const std::vector<TrainingRun>& runs);

// The figure as SVG. Every curve is a <polyline> with data-run and data-series attributes.
// Raises hwgq::Error when there is nothing to draw or the options are inconsistent.
std::string training_curves_svg(const std::vector<TrainingRun>& runs, const TrainingCurveOptions& options);

}  // namespace hwgq
