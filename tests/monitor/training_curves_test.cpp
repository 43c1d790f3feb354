#include "hwgq/monitor/training_curves.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "hwgq/common.hpp"
#include "hwgq/util/svg_format.hpp"

namespace hwgq {
namespace {

TrainingRun make_run(const std::string& label, float loss_scale) {
  TrainingRun run{label, {}};
  for (int it = 0; it <= 1000; it += 100) {
    TrainingRecord train;
    train.iteration = it;
    train.smoothed_loss = loss_scale * 2.f / (1 + it / 100.f);
    train.learning_rate = 0.01f * (1 - it / 1000.f);
    train.images_per_iteration = 64;
    run.records.push_back(train);
    if (it % 500 == 0 && it > 0) {
      TrainingRecord test;
      test.phase = TrainingRecord::Phase::kTest;
      test.test_net = 0;
      test.iteration = it;
      test.outputs = {{"accuracy", 0.5f + it / 4000.f}, {"loss", 1.f}};
      run.records.push_back(test);
    }
  }
  return run;
}

struct Polyline {
  std::string run, series;
  std::vector<std::pair<double, double>> points;
};

// Every <polyline> of the figure with its data attributes and points.
std::vector<Polyline> polylines(const std::string& svg) {
  std::vector<Polyline> lines;
  const std::regex element("<polyline data-run=\"([^\"]*)\" data-series=\"([^\"]*)\"[^>]* points=\"([^\"]*)\"/>");
  for (std::sregex_iterator it(svg.begin(), svg.end(), element), end; it != end; ++it) {
    Polyline line{(*it)[1], (*it)[2], {}};
    std::istringstream points((*it)[3].str());
    std::string pair;
    while (points >> pair) {
      const auto comma = pair.find(',');
      line.points.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
    }
    lines.push_back(line);
  }
  return lines;
}

TEST(TrainingCurvesTest, OnePolylinePerRunAndPanelWithEveryPoint) {
  const std::vector<TrainingRun> runs = {make_run("clipped", 1.f), make_run("log-tailed", 1.5f)};
  const std::string svg = training_curves_svg(runs, {});
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(default_curve_series(runs),
            (std::vector<std::string>{"train/loss", "test0/accuracy", "test0/loss", "train/lr"}));
  const auto lines = polylines(svg);
  ASSERT_EQ(lines.size(), 8u);  // 2 runs x 4 panels
  for (const auto& line : lines) {
    const size_t expected = line.series.rfind("test0/", 0) == 0 ? 2u : 11u;
    EXPECT_EQ(line.points.size(), expected) << line.run << " " << line.series;
    for (size_t i = 1; i < line.points.size(); ++i) EXPECT_GT(line.points[i].first, line.points[i - 1].first);
    if (line.series == "train/loss") {
      // Falling loss rises on the page (SVG y grows downwards).
      for (size_t i = 1; i < line.points.size(); ++i) EXPECT_GT(line.points[i].second, line.points[i - 1].second);
    }
  }
  // Both runs share each panel's scale: the larger loss is drawn higher at every iteration.
  EXPECT_EQ(lines[0].series, "train/loss");
  EXPECT_EQ(lines[1].series, "train/loss");
  for (size_t i = 0; i < lines[0].points.size(); ++i) {
    EXPECT_EQ(lines[0].points[i].first, lines[1].points[i].first);
    EXPECT_GT(lines[0].points[i].second, lines[1].points[i].second);
  }
  EXPECT_NE(svg.find(">clipped</text>"), std::string::npos);
  EXPECT_NE(svg.find(">log-tailed</text>"), std::string::npos);
}

TEST(TrainingCurvesTest, EpochsScaleTheAxis) {
  TrainingCurveOptions options;
  options.against_epochs = true;
  options.epoch_size = 6400;  // 100 iterations of 64 images
  const auto points = curve_points(make_run("a", 1.f), "train/loss", options);
  ASSERT_EQ(points.size(), 11u);
  EXPECT_DOUBLE_EQ(points[10].first, 10.0);
  options.series = {"test0/accuracy"};
  const auto lines = polylines(training_curves_svg({make_run("a", 1.f)}, options));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].points.size(), 2u);
}

TEST(TrainingCurvesTest, NothingToDrawIsAnError) {
  EXPECT_THROW(training_curves_svg({}, {}), Error);
  TrainingCurveOptions options;
  options.series = {"test0/top5"};
  EXPECT_THROW(training_curves_svg({make_run("a", 1.f)}, options), Error);
  TrainingCurveOptions epochs;
  epochs.against_epochs = true;
  EXPECT_THROW(training_curves_svg({make_run("a", 1.f)}, epochs), Error);
  EXPECT_THROW(training_curves_svg({TrainingRun{"empty", {}}}, {}), Error);
}

}  // namespace
}  // namespace hwgq

namespace hwgq {
namespace {

TEST(SvgFormatTest, TickLabels) {
  EXPECT_EQ(tick_label(10000), "10000");
  EXPECT_EQ(tick_label(-3), "-3");
  EXPECT_EQ(tick_label(0.25), "0.25");
  EXPECT_EQ(tick_label(0.1 + 0.2), "0.3");
  EXPECT_EQ(tick_label(1e-13), "0");
  EXPECT_EQ(tick_label(0.0001234567), "0.0001235");
  EXPECT_EQ(tick_label(2.5e12), "2.5e+12");
}

}  // namespace
}  // namespace hwgq
