// Designing the HWGQ activation quantizer (paper sections 1.2-1.3 of docs/hwgq-paper.md):
// the best uniform step and the Lloyd-Max levels for the half-wave Gaussian, either for
// the ideal x ~ N(0,1) or for the empirical distribution of recorded activations.
//
// The quantizer form is the one the Quant layer runs (forward_func "hwgq"):
//   Q(x) = 0             for x <= 0
//   Q(x) = q_j           for x in (t_j, t_{j+1}],  j = 1..K
// with 0 < q_1 < ... < q_K, t_1 = 0, t_j = (q_{j-1} + q_j) / 2 for j >= 2 and
// t_{K+1} = +inf. The lowest positive threshold is 0: no positive input maps to 0.
// The error is measured against the ReLU, E[(Q(x) - max(0, x))^2], so inputs x <= 0
// cost nothing and the design only concerns the positive half.
#pragma once

#include <string>
#include <vector>

namespace hwgq {

enum class QuantizerMethod {
  kUniform,  // q_j = j * step, step chosen to minimise the error
  kLloyd,    // Lloyd-Max: each q_j the centroid of its cell, each t_j a midpoint
};

// "uniform" or "lloyd"; anything else raises hwgq::Error listing both.
QuantizerMethod parse_quantizer_method(const std::string& name);
const char* quantizer_method_name(QuantizerMethod method);

struct QuantizerDesign {
  QuantizerMethod method = QuantizerMethod::kUniform;
  std::vector<double> levels;      // q_1..q_K, positive and strictly ascending
  std::vector<double> thresholds;  // t_1 = 0, t_2..t_K (K values; t_{K+1} = +inf implied)
  double step = 0;                 // the uniform step (kUniform); 0 for kLloyd
  double mse = 0;                  // E[(Q(x) - max(0, x))^2] under the design distribution
  int iterations = 0;              // Lloyd iterations run (0 for kUniform)
};

// t_1 = 0 followed by the midpoints of consecutive levels.
std::vector<double> midpoint_thresholds(const std::vector<double>& levels);

// Standard normal density and distribution function.
double normal_pdf(double x);
double normal_cdf(double x);

// E[(Q(x) - max(0, x))^2] for x ~ N(0,1), with Q given by `levels` and midpoint
// thresholds, in closed form (sums of phi/Phi terms per cell).
double half_gaussian_mse(const std::vector<double>& levels);

// The optimal uniform quantizer with K positive levels for x ~ N(0,1); step accurate to
// about 1e-10.
QuantizerDesign optimal_uniform_half_gaussian(int levels);
// The Lloyd-Max quantizer with K positive levels for x ~ N(0,1) (t_1 = 0 held fixed),
// iterated with exact Gaussian cell integrals until no level moves by more than 1e-12.
QuantizerDesign lloyd_max_half_gaussian(int levels);
QuantizerDesign design_half_gaussian(int levels, QuantizerMethod method);

// The same designs for the empirical distribution of `samples` (each sample has weight
// 1/N; samples <= 0 are quantized to 0 exactly and only count in N). Needs at least one
// positive sample; NaN or infinite samples raise hwgq::Error.
QuantizerDesign design_from_samples(const std::vector<float>& samples, int levels, QuantizerMethod method);
// Mean of (Q(x) - max(0, x))^2 over the samples for the given levels (midpoint thresholds).
double sample_mse(const std::vector<float>& samples, const std::vector<double>& levels);

}  // namespace hwgq
