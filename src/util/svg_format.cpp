#include "hwgq/util/svg_format.hpp"

#include <cmath>
#include <iomanip>
#include <sstream>

namespace hwgq {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

double nice_step(double raw) {
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

std::string fixed_decimals(double value, int decimals) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

std::string tick_label(double value) {
  std::ostringstream out;
  // Whole numbers as they are (an iteration axis reads 10000, not 1e+04).
  if (std::fabs(value) < 1e9 && value == std::round(value)) {
    out << static_cast<long long>(std::round(value));
  } else {
    out << std::setprecision(4) << (std::fabs(value) < 1e-12 ? 0.0 : value);
  }
  return out.str();
}

}  // namespace hwgq
