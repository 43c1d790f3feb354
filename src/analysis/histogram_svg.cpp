#include "hwgq/analysis/histogram_svg.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "hwgq/common.hpp"
#include "hwgq/quant/quantizer_design.hpp"
#include "hwgq/util/io.hpp"
#include "hwgq/util/svg_format.hpp"

namespace hwgq {


std::string histogram_svg(const std::vector<float>& samples, const std::vector<double>& levels,
                          const std::vector<double>& thresholds, const std::string& title,
                          const HistogramSvgOptions& options) {
  HWGQ_REQUIRE(options.bins >= 1, "histogram: bins must be >= 1, got " << options.bins);
  HWGQ_REQUIRE(options.width >= 200 && options.height >= 150,
               "histogram: the plot must be at least 200 x 150, got " << options.width << " x " << options.height);
  std::vector<float> positive;
  size_t non_positive = 0;
  for (float s : samples) {
    HWGQ_REQUIRE(std::isfinite(s), "histogram: samples must be finite, got " << s);
    if (s > 0.f) {
      positive.push_back(s);
    } else {
      ++non_positive;
    }
  }
  const size_t n = samples.size();
  const double mass_at_zero = n ? double(non_positive) / n : 0.0;

  double x_max = options.x_max;
  if (x_max <= 0) {
    x_max = 4.0;
    if (!levels.empty()) x_max = std::max(x_max, 1.15 * levels.back());
    if (!positive.empty()) {
      // The 99.9th percentile of all samples, so a few outliers do not squash the plot.
      const size_t rank = static_cast<size_t>(0.999 * (n - 1));
      if (rank >= non_positive) {
        std::vector<float> sorted = positive;
        const size_t k = std::min(sorted.size() - 1, rank - non_positive);
        std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
        x_max = std::max(x_max, 1.02 * double(sorted[k]));
      }
    }
  }
  const double x_min = -0.04 * x_max;  // room to see the stems at 0

  const int bins = options.bins;
  const double bin_width = x_max / bins;
  std::vector<double> density(bins, 0.0);
  size_t beyond = 0;
  for (float s : positive) {
    const int b = static_cast<int>(std::ceil(s / bin_width)) - 1;  // bins are (lo, hi]
    if (b >= bins) {
      ++beyond;
    } else {
      density[std::max(b, 0)] += 1.0;
    }
  }
  for (double& d : density) d /= double(std::max<size_t>(n, 1)) * bin_width;

  double y_top = std::max({0.5, mass_at_zero, normal_pdf(0.0)});
  for (double d : density) y_top = std::max(y_top, d);
  const double y_step = nice_step(y_top * 1.08 / 5);
  const double y_max = std::ceil(y_top * 1.08 / y_step) * y_step;

  const double left = 70, right = 30, top = 50, bottom = 60;
  const double pw = options.width - left - right;
  const double ph = options.height - top - bottom;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * pw; };
  auto py = [&](double y) { return top + ph - y / y_max * ph; };

  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << options.width << "\" height=\""
      << options.height << "\" viewBox=\"0 0 " << options.width << " " << options.height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect x=\"0\" y=\"0\" width=\"" << options.width << "\" height=\"" << options.height
      << "\" fill=\"white\"/>\n"
      << "<text class=\"title\" x=\"" << options.width / 2 << "\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">"
      << xml_escape(title) << "</text>\n";

  // Axes, ticks and grid.
  svg << "<g class=\"axes\" stroke=\"black\" stroke-width=\"1\">\n"
      << "<line x1=\"" << fixed_decimals(left) << "\" y1=\"" << fixed_decimals(py(0)) << "\" x2=\"" << fixed_decimals(left + pw) << "\" y2=\""
      << fixed_decimals(py(0)) << "\"/>\n"
      << "<line x1=\"" << fixed_decimals(left) << "\" y1=\"" << fixed_decimals(top) << "\" x2=\"" << fixed_decimals(left) << "\" y2=\""
      << fixed_decimals(top + ph) << "\"/>\n</g>\n";
  svg << "<g class=\"ticks\">\n";
  const double x_step = nice_step(x_max / 8);
  for (double x = 0; x <= x_max + 1e-9; x += x_step) {
    svg << "<line x1=\"" << fixed_decimals(px(x)) << "\" y1=\"" << fixed_decimals(py(0)) << "\" x2=\"" << fixed_decimals(px(x)) << "\" y2=\""
        << fixed_decimals(py(0) + 5) << "\" stroke=\"black\"/>"
        << "<text x=\"" << fixed_decimals(px(x)) << "\" y=\"" << fixed_decimals(py(0) + 18) << "\" text-anchor=\"middle\">"
        << tick_label(x) << "</text>\n";
  }
  for (double y = 0; y <= y_max + 1e-9; y += y_step) {
    svg << "<line x1=\"" << fixed_decimals(left - 5) << "\" y1=\"" << fixed_decimals(py(y)) << "\" x2=\"" << fixed_decimals(left + pw) << "\" y2=\""
        << fixed_decimals(py(y)) << "\" stroke=\"#e0e0e0\"/>"
        << "<text x=\"" << fixed_decimals(left - 8) << "\" y=\"" << fixed_decimals(py(y) + 4) << "\" text-anchor=\"end\">" << tick_label(y)
        << "</text>\n";
  }
  svg << "<text x=\"" << fixed_decimals(left + pw / 2) << "\" y=\"" << options.height - 15
      << "\" text-anchor=\"middle\">x (quantizer input)</text>\n"
      << "<text x=\"18\" y=\"" << fixed_decimals(top + ph / 2) << "\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
      << fixed_decimals(top + ph / 2) << ")\">density (x &gt; 0); probability (stems at 0)</text>\n</g>\n";

  // Sample histogram (positive part).
  svg << "<g class=\"histogram\" fill=\"#9ecae1\" stroke=\"#4292c6\" stroke-width=\"0.5\">\n";
  for (int b = 0; b < bins; ++b) {
    if (density[b] <= 0) continue;
    svg << "<rect class=\"bin\" x=\"" << fixed_decimals(px(b * bin_width)) << "\" y=\"" << fixed_decimals(py(density[b])) << "\" width=\""
        << fixed_decimals(px((b + 1) * bin_width) - px(b * bin_width)) << "\" height=\"" << fixed_decimals(py(0) - py(density[b]))
        << "\"/>\n";
  }
  svg << "</g>\n";

  // Half-wave Gaussian density on x > 0.
  svg << "<polyline class=\"reference\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"";
  const int curve_points = 400;
  for (int i = 0; i <= curve_points; ++i) {
    const double x = x_max * i / curve_points;
    svg << (i ? " " : "") << fixed_decimals(px(x)) << "," << fixed_decimals(py(normal_pdf(x)));
  }
  svg << "\"/>\n";

  // Point masses at 0, side by side so both stay visible.
  const double stem_dx = 4;
  svg << "<g class=\"mass-gaussian\" stroke=\"#d62728\" fill=\"#d62728\" stroke-width=\"3\">"
      << "<line x1=\"" << fixed_decimals(px(0) - stem_dx) << "\" y1=\"" << fixed_decimals(py(0)) << "\" x2=\"" << fixed_decimals(px(0) - stem_dx)
      << "\" y2=\"" << fixed_decimals(py(0.5)) << "\"/><circle cx=\"" << fixed_decimals(px(0) - stem_dx) << "\" cy=\"" << fixed_decimals(py(0.5))
      << "\" r=\"4\"/></g>\n"
      << "<g class=\"mass-sample\" stroke=\"#4292c6\" fill=\"#4292c6\" stroke-width=\"3\">"
      << "<line x1=\"" << fixed_decimals(px(0) + stem_dx) << "\" y1=\"" << fixed_decimals(py(0)) << "\" x2=\"" << fixed_decimals(px(0) + stem_dx)
      << "\" y2=\"" << fixed_decimals(py(mass_at_zero)) << "\"/><circle cx=\"" << fixed_decimals(px(0) + stem_dx) << "\" cy=\""
      << fixed_decimals(py(mass_at_zero)) << "\" r=\"4\"/></g>\n";

  // Levels and thresholds; labels only where they do not collide.
  auto marks = [&](const std::vector<double>& values, const char* cls, const char* dash, const char* color,
                   const std::string& name, double label_y) {
    svg << "<g class=\"" << cls << "s\" stroke=\"" << color << "\" stroke-width=\"1.5\" stroke-dasharray=\"" << dash
        << "\">\n";
    double last_label_end = -1e9;
    for (size_t j = 0; j < values.size(); ++j) {
      const double v = values[j];
      if (!(v >= x_min && v <= x_max)) continue;
      svg << "<line class=\"" << cls << "\" x1=\"" << fixed_decimals(px(v)) << "\" y1=\"" << fixed_decimals(top) << "\" x2=\"" << fixed_decimals(px(v))
          << "\" y2=\"" << fixed_decimals(py(0)) << "\"/>";
      const std::string label = name + std::to_string(j + 1) + "=" + tick_label(v);
      if (px(v) + 2 >= last_label_end) {
        svg << "<text x=\"" << fixed_decimals(px(v) + 2) << "\" y=\"" << fixed_decimals(label_y) << "\" fill=\"" << color
            << "\" stroke=\"none\" font-size=\"11\">" << label << "</text>";
        last_label_end = px(v) + 2 + 6.5 * label.size() + 4;  // about 6.5 px per character at 11 px
      }
      svg << "\n";
    }
    svg << "</g>\n";
  };
  marks(levels, "level", "6,3", "#2ca02c", "q", top + 12);
  marks(thresholds, "threshold", "2,3", "#7f7f7f", "t", top + 26);

  // Legend and a note on what the plot leaves out.
  const double lx = left + pw - 250, ly = top + 58;
  svg << "<g class=\"legend\">\n<rect x=\"" << fixed_decimals(lx - 8) << "\" y=\"" << fixed_decimals(ly - 14)
      << "\" width=\"250\" height=\"122\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\"/>\n";
  struct Entry {
    std::string swatch, label;
  };
  const std::vector<Entry> entries = {
      {"<rect x=\"0\" y=\"-8\" width=\"22\" height=\"10\" fill=\"#9ecae1\" stroke=\"#4292c6\"/>",
       "samples, density on x &gt; 0"},
      {"<line x1=\"0\" y1=\"-3\" x2=\"22\" y2=\"-3\" stroke=\"#d62728\" stroke-width=\"2\"/>",
       "half-wave Gaussian \xCF\x86(x), x &gt; 0"},
      {"<circle cx=\"11\" cy=\"-3\" r=\"4\" fill=\"#d62728\"/>", "P(x \xE2\x89\xA4 0), Gaussian: 0.5"},
      {"<circle cx=\"11\" cy=\"-3\" r=\"4\" fill=\"#4292c6\"/>",
       "P(x \xE2\x89\xA4 0), samples: " + fixed_decimals(mass_at_zero, 3)},
      {"<line x1=\"0\" y1=\"-3\" x2=\"22\" y2=\"-3\" stroke=\"#2ca02c\" stroke-width=\"1.5\" stroke-dasharray=\"6,3\"/>",
       "levels q_j (" + std::to_string(levels.size()) + ")"},
      {"<line x1=\"0\" y1=\"-3\" x2=\"22\" y2=\"-3\" stroke=\"#7f7f7f\" stroke-width=\"1.5\" stroke-dasharray=\"2,3\"/>",
       "thresholds t_j (" + std::to_string(thresholds.size()) + ")"},
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    svg << "<g transform=\"translate(" << fixed_decimals(lx) << "," << fixed_decimals(ly + 18 * i) << ")\">" << entries[i].swatch
        << "<text x=\"30\" y=\"0\">" << entries[i].label << "</text></g>\n";
  }
  svg << "</g>\n";
  svg << "<text class=\"note\" x=\"" << fixed_decimals(left + pw) << "\" y=\"" << options.height - 15
      << "\" text-anchor=\"end\" font-size=\"10\" fill=\"#555555\">N = " << n;
  if (beyond) svg << ", " << beyond << " beyond x = " << tick_label(x_max) << " not drawn";
  svg << "</text>\n</svg>\n";
  return svg.str();
}

void write_histogram_svg(const std::string& path, const std::vector<float>& samples,
                         const std::vector<double>& levels, const std::vector<double>& thresholds,
                         const std::string& title, const HistogramSvgOptions& options) {
  write_file_atomic(path, histogram_svg(samples, levels, thresholds, title, options));
}

}  // namespace hwgq
