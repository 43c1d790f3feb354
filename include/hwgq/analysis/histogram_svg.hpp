// An SVG plot of recorded activations against the half-wave Gaussian the HWGQ quantizer
// is designed for (docs/hwgq-paper.md 1.2-1.3), with the quantizer's levels and
// thresholds marked. Self-contained SVG 1.1, no scripts or external resources.
//
// What is drawn, on the half-wave axis x >= 0:
//   - the positive samples as a density histogram (count / (N * bin width), N = all samples);
//   - the half-wave Gaussian density: phi(x) for x > 0, as a curve;
//   - the point mass at 0 as stems of height P(x <= 0): 1/2 for the Gaussian, the sample
//     fraction for the samples (a point mass has no density, so stems share the y axis
//     as probabilities and are labelled);
//   - each level q_j (dashed) and threshold t_j (dotted) as a vertical line;
//   - a legend, and a note with N, the fraction <= 0 and any samples beyond the x range.
#pragma once

#include <string>
#include <vector>

namespace hwgq {

struct HistogramSvgOptions {
  int bins = 80;
  // Right end of the x axis; 0 picks max(4, 1.15 * largest level, 99.9th percentile).
  double x_max = 0;
  int width = 800;
  int height = 500;
};

// The SVG document as text. Samples must be finite; levels/thresholds may be empty.
std::string histogram_svg(const std::vector<float>& samples, const std::vector<double>& levels,
                          const std::vector<double>& thresholds, const std::string& title,
                          const HistogramSvgOptions& options = HistogramSvgOptions());

// Writes histogram_svg(...) to `path` atomically; raises hwgq::Error naming the path.
void write_histogram_svg(const std::string& path, const std::vector<float>& samples,
                         const std::vector<double>& levels, const std::vector<double>& thresholds,
                         const std::string& title, const HistogramSvgOptions& options = HistogramSvgOptions());

}  // namespace hwgq
