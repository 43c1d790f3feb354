#include "hwgq/monitor/training_curves.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "hwgq/common.hpp"
#include "hwgq/util/svg_format.hpp"

namespace hwgq {

namespace {

constexpr int kPanelWidth = 460;
constexpr int kPanelHeight = 280;
constexpr int kColumns = 2;
constexpr int kLegendHeight = 28;
// Panel margins: room for tick labels on the left and below, the title above.
constexpr int kLeft = 64, kRight = 24, kTop = 30, kBottom = 40;
// Colour-blind-safe palette (Okabe-Ito order), repeated beyond eight runs.
const char* const kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"};

// The value of `series` in `record`, if it has one.
bool series_value(const TrainingRecord& record, const std::string& series, double* value) {
  const auto slash = series.find('/');
  if (slash == std::string::npos) return false;
  const std::string scope = series.substr(0, slash);
  std::string name = series.substr(slash + 1);
  const bool train = record.phase == TrainingRecord::Phase::kTrain;
  if (scope == "train") {
    if (!train) return false;
    if (name == "loss") {
      *value = record.smoothed_loss;
      return true;
    }
    if (name == "lr") {
      *value = record.learning_rate;
      return true;
    }
    if (name == "images_per_s") {
      *value = record.images_per_second;
      return record.images_per_second > 0;
    }
    if (name.rfind("output/", 0) != 0) return false;
    name = name.substr(7);
  } else if (train || scope != "test" + std::to_string(record.test_net)) {
    return false;
  }
  for (const auto& [output, v] : record.outputs) {
    if (output == name) {
      *value = v;
      return true;
    }
  }
  return false;
}

struct Range {
  double low = INFINITY, high = -INFINITY;
  void add(double v) {
    low = std::min(low, v);
    high = std::max(high, v);
  }
  // Widened to a non-empty span with nice ends.
  void settle(double* step) {
    if (!(high > low)) {
      const double pad = std::fabs(low) > 0 ? std::fabs(low) * 0.1 : 1.0;
      low -= pad;
      high += pad;
    }
    *step = nice_step((high - low) / 5);
    low = std::floor(low / *step) * *step;
    high = std::ceil(high / *step) * *step;
  }
};

}  // namespace

std::vector<std::pair<double, double>> curve_points(const TrainingRun& run, const std::string& series,
                                                    const TrainingCurveOptions& options) {
  std::vector<std::pair<double, double>> points;
  for (const TrainingRecord& record : run.records) {
    double y = 0;
    if (!series_value(record, series, &y) || !std::isfinite(y)) continue;
    double x = record.iteration;
    if (options.against_epochs) x = double(record.iteration) * record.images_per_iteration / options.epoch_size;
    points.emplace_back(x, y);
  }
  return points;
}

std::vector<std::string> default_curve_series(const std::vector<TrainingRun>& runs) {
  std::vector<std::string> series = {"train/loss"};
  std::set<std::string> seen;
  for (const TrainingRun& run : runs) {
    for (const TrainingRecord& record : run.records) {
      if (record.phase != TrainingRecord::Phase::kTest || record.test_net != 0) continue;
      for (const auto& output : record.outputs) {
        if (seen.insert(output.first).second) series.push_back("test0/" + output.first);
      }
    }
  }
  series.push_back("train/lr");
  return series;
}

std::string training_curves_svg(const std::vector<TrainingRun>& runs, const TrainingCurveOptions& options) {
  HWGQ_REQUIRE(!runs.empty(), "plot: no runs to draw");
  HWGQ_REQUIRE(!options.against_epochs || options.epoch_size > 0,
               "plot: epochs need the number of training images (epoch size > 0)");
  const std::vector<std::string> series = options.series.empty() ? default_curve_series(runs) : options.series;
  // Only panels with something to draw; a named series found in no run is an error.
  std::vector<std::string> panels;
  for (const std::string& name : series) {
    bool any = false;
    for (const TrainingRun& run : runs) any = any || !curve_points(run, name, options).empty();
    if (any) {
      panels.push_back(name);
    } else {
      HWGQ_REQUIRE(options.series.empty(), "plot: no run has values of \"" << name << "\"");
    }
  }
  HWGQ_REQUIRE(!panels.empty(), "plot: the metrics hold no values to draw");

  const int rows = (static_cast<int>(panels.size()) + kColumns - 1) / kColumns;
  const int columns = std::min<int>(kColumns, panels.size());
  const int width = columns * kPanelWidth;
  const int height = kLegendHeight + rows * kPanelHeight;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  // Legend: one coloured swatch and label per run.
  int legend_x = 10;
  for (size_t r = 0; r < runs.size(); ++r) {
    const char* colour = kColours[r % 8];
    svg << "<rect x=\"" << legend_x << "\" y=\"9\" width=\"14\" height=\"4\" fill=\"" << colour << "\"/>"
        << "<text x=\"" << legend_x + 18 << "\" y=\"15\" data-legend=\"" << r << "\">" << xml_escape(runs[r].label)
        << "</text>\n";
    legend_x += 30 + 7 * static_cast<int>(runs[r].label.size());
  }
  const std::string x_title = options.against_epochs ? "epoch" : "iteration";
  for (size_t p = 0; p < panels.size(); ++p) {
    const int origin_x = static_cast<int>(p % kColumns) * kPanelWidth;
    const int origin_y = kLegendHeight + static_cast<int>(p / kColumns) * kPanelHeight;
    const double plot_x0 = origin_x + kLeft, plot_x1 = origin_x + kPanelWidth - kRight;
    const double plot_y0 = origin_y + kTop, plot_y1 = origin_y + kPanelHeight - kBottom;
    std::vector<std::vector<std::pair<double, double>>> curves;
    Range xs, ys;
    for (const TrainingRun& run : runs) {
      curves.push_back(curve_points(run, panels[p], options));
      for (const auto& [x, y] : curves.back()) {
        xs.add(x);
        ys.add(y);
      }
    }
    double x_step = 1, y_step = 1;
    xs.settle(&x_step);
    ys.settle(&y_step);
    auto to_x = [&](double x) { return plot_x0 + (x - xs.low) / (xs.high - xs.low) * (plot_x1 - plot_x0); };
    auto to_y = [&](double y) { return plot_y1 - (y - ys.low) / (ys.high - ys.low) * (plot_y1 - plot_y0); };

    svg << "<g data-panel=\"" << xml_escape(panels[p]) << "\">\n"
        << "<text x=\"" << origin_x + kPanelWidth / 2 << "\" y=\"" << origin_y + 18
        << "\" text-anchor=\"middle\" font-size=\"13\">" << xml_escape(panels[p]) << "</text>\n";
    // Grid lines and tick labels.
    for (double t = ys.low; t <= ys.high + y_step * 1e-6; t += y_step) {
      svg << "<line x1=\"" << fixed_decimals(plot_x0) << "\" x2=\"" << fixed_decimals(plot_x1) << "\" y1=\""
          << fixed_decimals(to_y(t)) << "\" y2=\"" << fixed_decimals(to_y(t)) << "\" stroke=\"#e0e0e0\"/>"
          << "<text x=\"" << fixed_decimals(plot_x0 - 4) << "\" y=\"" << fixed_decimals(to_y(t) + 4)
          << "\" text-anchor=\"end\">" << tick_label(t) << "</text>\n";
    }
    for (double t = xs.low; t <= xs.high + x_step * 1e-6; t += x_step) {
      svg << "<line x1=\"" << fixed_decimals(to_x(t)) << "\" x2=\"" << fixed_decimals(to_x(t)) << "\" y1=\""
          << fixed_decimals(plot_y0) << "\" y2=\"" << fixed_decimals(plot_y1) << "\" stroke=\"#e0e0e0\"/>"
          << "<text x=\"" << fixed_decimals(to_x(t)) << "\" y=\"" << fixed_decimals(plot_y1 + 14)
          << "\" text-anchor=\"middle\">" << tick_label(t) << "</text>\n";
    }
    svg << "<rect x=\"" << fixed_decimals(plot_x0) << "\" y=\"" << fixed_decimals(plot_y0) << "\" width=\""
        << fixed_decimals(plot_x1 - plot_x0) << "\" height=\"" << fixed_decimals(plot_y1 - plot_y0)
        << "\" fill=\"none\" stroke=\"#404040\"/>\n"
        << "<text x=\"" << fixed_decimals((plot_x0 + plot_x1) / 2) << "\" y=\"" << origin_y + kPanelHeight - 8
        << "\" text-anchor=\"middle\">" << x_title << "</text>\n";
    for (size_t r = 0; r < curves.size(); ++r) {
      if (curves[r].empty()) continue;
      svg << "<polyline data-run=\"" << xml_escape(runs[r].label) << "\" data-series=\"" << xml_escape(panels[p])
          << "\" fill=\"none\" stroke=\"" << kColours[r % 8] << "\" stroke-width=\"1.5\" points=\"";
      for (size_t i = 0; i < curves[r].size(); ++i) {
        svg << (i ? " " : "") << fixed_decimals(to_x(curves[r][i].first)) << ","
            << fixed_decimals(to_y(curves[r][i].second));
      }
      svg << "\"/>\n";
    }
    svg << "</g>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace hwgq
