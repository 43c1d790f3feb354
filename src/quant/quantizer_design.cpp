#include "hwgq/quant/quantizer_design.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "hwgq/common.hpp"

namespace hwgq {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Beyond 8 bits the designs stop being useful for activations, and Lloyd's linear
// convergence (slower for every added level) would take minutes.
constexpr int kMaxLevels = 255;

void check_level_count(int levels) {
  HWGQ_REQUIRE(levels >= 1 && levels <= kMaxLevels,
               "quantizer design: the number of positive levels must be in [1, " << kMaxLevels << "], got "
                                                                                 << levels);
}

// The moments of x ~ N(0,1) restricted to one cell (a, b], 0 <= a < b <= inf.
struct CellMoments {
  double p;   // P(a < x <= b)
  double m1;  // E[x; a < x <= b]
  double m2;  // E[x^2; a < x <= b]
};

CellMoments gaussian_cell(double a, double b) {
  // The upper-tail form keeps P accurate for cells far out in the tail, where
  // Phi(b) - Phi(a) would cancel.
  const double tail_a = 0.5 * std::erfc(a / std::sqrt(2.0));
  const double tail_b = std::isinf(b) ? 0.0 : 0.5 * std::erfc(b / std::sqrt(2.0));
  const double pdf_a = normal_pdf(a);
  const double pdf_b = std::isinf(b) ? 0.0 : normal_pdf(b);
  const double b_pdf_b = std::isinf(b) ? 0.0 : b * pdf_b;
  CellMoments m;
  m.p = tail_a - tail_b;
  m.m1 = pdf_a - pdf_b;               // integral of x phi(x) = -phi(x)
  m.m2 = m.p + a * pdf_a - b_pdf_b;   // integral of x^2 phi(x) = Phi(x) - x phi(x)
  return m;
}

double cell_error(const CellMoments& m, double q) { return m.m2 - 2.0 * q * m.m1 + q * q * m.p; }

// Upper end of cell j (0-based): t_{j+2} in the 1-based notation of the header.
double cell_upper(const std::vector<double>& thresholds, size_t j) {
  return j + 1 < thresholds.size() ? thresholds[j + 1] : kInf;
}

// Half-wave Gaussian error of the uniform quantizer with the given step.
double uniform_mse(double step, int levels) {
  std::vector<double> q(levels);
  for (int j = 0; j < levels; ++j) q[j] = (j + 1) * step;
  return half_gaussian_mse(q);
}

// dMSE/dstep for the uniform quantizer. Moving a midpoint threshold costs nothing to first
// order (both neighbouring levels are equally far from it) and t_1 = 0 is fixed, so only
// the levels' own dependence on the step counts: -2 sum_j j E[(x - j step); cell j].
double uniform_mse_slope(double step, int levels) {
  double slope = 0;
  for (int j = 1; j <= levels; ++j) {
    const double a = j == 1 ? 0.0 : (j - 0.5) * step;
    const double b = j == levels ? kInf : (j + 0.5) * step;
    const CellMoments m = gaussian_cell(a, b);
    slope += -2.0 * j * (m.m1 - j * step * m.p);
  }
  return slope;
}

// Minimises f on [lo, hi] by golden-section search until the bracket is below
// rel_tol * hi (f is assumed unimodal there).
template <class F>
double golden_section(F f, double lo, double hi, double rel_tol) {
  const double inv_phi = (std::sqrt(5.0) - 1.0) / 2.0;
  double c = hi - inv_phi * (hi - lo);
  double d = lo + inv_phi * (hi - lo);
  double fc = f(c);
  double fd = f(d);
  for (int it = 0; it < 400 && (hi - lo) > rel_tol * hi; ++it) {
    if (fc <= fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - inv_phi * (hi - lo);
      fc = f(c);
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + inv_phi * (hi - lo);
      fd = f(d);
    }
  }
  return 0.5 * (lo + hi);
}

// Finds the grid point with the smallest f on a geometric grid over [lo, hi] and returns
// the bracket formed by its two neighbours.
template <class F>
std::pair<double, double> scan_bracket(F f, double lo, double hi, int points) {
  const double ratio = std::pow(hi / lo, 1.0 / (points - 1));
  int best = 0;
  double best_value = kInf;
  std::vector<double> grid(points);
  for (int i = 0; i < points; ++i) {
    grid[i] = lo * std::pow(ratio, i);
    const double value = f(grid[i]);
    if (value < best_value) {
      best_value = value;
      best = i;
    }
  }
  return {grid[std::max(best - 1, 0)], grid[std::min(best + 1, points - 1)]};
}

// The empirical distribution of the positive samples, sorted, with prefix sums so that
// the moments of any cell cost two binary searches.
class SampleCells {
 public:
  explicit SampleCells(const std::vector<float>& samples) : total_(samples.size()) {
    for (float s : samples) {
      HWGQ_REQUIRE(std::isfinite(s), "quantizer design: samples must be finite, got " << s);
      if (s > 0.f) x_.push_back(s);
    }
    HWGQ_REQUIRE(!x_.empty(), "quantizer design: needs at least one positive sample (got "
                                  << samples.size() << " samples, none > 0)");
    std::sort(x_.begin(), x_.end());
    s1_.assign(x_.size() + 1, 0.0);
    s2_.assign(x_.size() + 1, 0.0);
    for (size_t i = 0; i < x_.size(); ++i) {
      s1_[i + 1] = s1_[i] + x_[i];
      s2_[i + 1] = s2_[i] + x_[i] * x_[i];
    }
  }

  double max_value() const { return x_.back(); }
  double mean_positive() const { return s1_.back() / x_.size(); }

  // Moments of the samples in (a, b], each weighted 1/N over all N samples.
  CellMoments cell(double a, double b) const {
    const size_t begin = std::upper_bound(x_.begin(), x_.end(), a) - x_.begin();
    const size_t end = std::isinf(b) ? x_.size() : std::upper_bound(x_.begin(), x_.end(), b) - x_.begin();
    const double w = 1.0 / total_;
    return {(end - begin) * w, (s1_[end] - s1_[begin]) * w, (s2_[end] - s2_[begin]) * w};
  }

  double mse(const std::vector<double>& levels) const {
    const std::vector<double> t = midpoint_thresholds(levels);
    double sum = 0;
    for (size_t j = 0; j < levels.size(); ++j) sum += cell_error(cell(t[j], cell_upper(t, j)), levels[j]);
    return std::max(sum, 0.0);
  }

 private:
  size_t total_;
  std::vector<double> x_;
  std::vector<double> s1_, s2_;
};

std::vector<double> uniform_levels(double step, int levels) {
  std::vector<double> q(levels);
  for (int j = 0; j < levels; ++j) q[j] = (j + 1) * step;
  return q;
}

QuantizerDesign finish(QuantizerMethod method, std::vector<double> levels, double step, double mse, int iterations) {
  QuantizerDesign d;
  d.method = method;
  d.thresholds = midpoint_thresholds(levels);
  d.levels = std::move(levels);
  d.step = step;
  d.mse = mse;
  d.iterations = iterations;
  return d;
}

// One Lloyd update: each level moves to the centroid of its cell. Cells with no mass keep
// their level; ordering is preserved because a centroid stays inside its own cell.
template <class CellFn>
double lloyd_step(std::vector<double>& q, CellFn cell) {
  const std::vector<double> t = midpoint_thresholds(q);
  double moved = 0;
  for (size_t j = 0; j < q.size(); ++j) {
    const CellMoments m = cell(t[j], cell_upper(t, j));
    if (m.p <= 0) continue;
    const double next = m.m1 / m.p;
    moved = std::max(moved, std::fabs(next - q[j]));
    q[j] = next;
  }
  return moved;
}

}  // namespace

QuantizerMethod parse_quantizer_method(const std::string& name) {
  if (name == "uniform") return QuantizerMethod::kUniform;
  if (name == "lloyd") return QuantizerMethod::kLloyd;
  HWGQ_FAIL("unknown quantizer method \"" << name << "\"; known methods: uniform, lloyd");
}

const char* quantizer_method_name(QuantizerMethod method) {
  return method == QuantizerMethod::kUniform ? "uniform" : "lloyd";
}

std::vector<double> midpoint_thresholds(const std::vector<double>& levels) {
  std::vector<double> t(levels.size());
  for (size_t j = 1; j < levels.size(); ++j) t[j] = 0.5 * (levels[j - 1] + levels[j]);
  if (!t.empty()) t[0] = 0.0;
  return t;
}

double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double half_gaussian_mse(const std::vector<double>& levels) {
  const std::vector<double> t = midpoint_thresholds(levels);
  double sum = 0;
  for (size_t j = 0; j < levels.size(); ++j) sum += cell_error(gaussian_cell(t[j], cell_upper(t, j)), levels[j]);
  return sum;
}

QuantizerDesign optimal_uniform_half_gaussian(int levels) {
  check_level_count(levels);
  auto mse = [levels](double step) { return uniform_mse(step, levels); };
  // The optimum for K = 1 is E[x | x > 0] = 0.798 and shrinks roughly like 1/K; the grid
  // comfortably covers it, then the slope's sign change is bisected to double precision
  // (golden section on the flat MSE alone would stop near sqrt(machine epsilon)).
  auto [lo, hi] = scan_bracket(mse, 0.05 / levels, 2.0, 200);
  double step;
  if (uniform_mse_slope(lo, levels) < 0 && uniform_mse_slope(hi, levels) > 0) {
    for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; ++it) {
      const double mid = 0.5 * (lo + hi);
      (uniform_mse_slope(mid, levels) < 0 ? lo : hi) = mid;
    }
    step = 0.5 * (lo + hi);
  } else {
    step = golden_section(mse, lo, hi, 1e-12);
  }
  return finish(QuantizerMethod::kUniform, uniform_levels(step, levels), step, mse(step), 0);
}

QuantizerDesign lloyd_max_half_gaussian(int levels) {
  check_level_count(levels);
  std::vector<double> q = optimal_uniform_half_gaussian(levels).levels;
  int it = 0;
  for (; it < 1000000; ++it) {
    if (lloyd_step(q, gaussian_cell) < 1e-12) break;
  }
  return finish(QuantizerMethod::kLloyd, q, 0.0, half_gaussian_mse(q), it + 1);
}

QuantizerDesign design_half_gaussian(int levels, QuantizerMethod method) {
  return method == QuantizerMethod::kUniform ? optimal_uniform_half_gaussian(levels)
                                             : lloyd_max_half_gaussian(levels);
}

double sample_mse(const std::vector<float>& samples, const std::vector<double>& levels) {
  return SampleCells(samples).mse(levels);
}

QuantizerDesign design_from_samples(const std::vector<float>& samples, int levels, QuantizerMethod method) {
  check_level_count(levels);
  const SampleCells cells(samples);
  auto uniform_error = [&](double step) { return cells.mse(uniform_levels(step, levels)); };

  // Uniform: the empirical error is piecewise quadratic in the step, so a scan finds the
  // right basin, golden section narrows it, and the exact minimiser for the final cell
  // assignment, step = sum_j j S1_j / sum_j j^2 N_j, polishes it.
  const double top = std::max(cells.max_value(), cells.mean_positive());
  auto [lo, hi] = scan_bracket(uniform_error, top / (levels * 1000.0), top, 400);
  double step = golden_section(uniform_error, lo, hi, 1e-13);
  double best = uniform_error(step);
  for (int polish = 0; polish < 20; ++polish) {
    double num = 0, den = 0;
    for (int j = 1; j <= levels; ++j) {
      const double a = j == 1 ? 0.0 : (j - 0.5) * step;
      const double b = j == levels ? kInf : (j + 0.5) * step;
      const CellMoments m = cells.cell(a, b);
      num += j * m.m1;
      den += double(j) * j * m.p;
    }
    if (den <= 0) break;
    const double candidate = num / den;
    const double value = uniform_error(candidate);
    // <= rather than <: near the optimum the error is below its own rounding noise, and
    // the formula is the exact minimiser for the assignment it was computed from.
    if (!(value <= best) || candidate == step) break;
    step = candidate;
    best = value;
  }
  if (method == QuantizerMethod::kUniform) {
    return finish(QuantizerMethod::kUniform, uniform_levels(step, levels), step, best, 0);
  }

  std::vector<double> q = uniform_levels(step, levels);
  auto cell = [&cells](double a, double b) { return cells.cell(a, b); };
  int it = 0;
  for (; it < 100000; ++it) {
    // An unchanged assignment gives exactly the same centroids, so this also stops at the
    // (finite) fixed point of the empirical iteration.
    if (lloyd_step(q, cell) <= 1e-12 * top) break;
  }
  return finish(QuantizerMethod::kLloyd, q, 0.0, cells.mse(q), it + 1);
}

}  // namespace hwgq
