// Small pieces every SVG figure hwgq draws needs: escaped text, tick spacing and labels.
#pragma once

#include <string>

namespace hwgq {

// `text` with &, <, >, " and ' escaped for XML text and attribute values.
std::string xml_escape(const std::string& text);
// 1, 2 or 5 times a power of ten, at least `raw` (> 0): tick spacing a reader can add up.
double nice_step(double raw);
// `value` with exactly `decimals` decimals (coordinates in SVG attributes).
std::string fixed_decimals(double value, int decimals = 2);
// A tick value: whole numbers in full, others with up to 4 significant digits and no
// trailing zeros.
std::string tick_label(double value);

}  // namespace hwgq
