#include "hwgq/kernels/packed_types.hpp"

#include <cmath>
#include <sstream>

#include "hwgq/common.hpp"

namespace hwgq::kernels {

namespace {

std::string join(const std::vector<float>& values) {
  std::ostringstream out;
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  return out.str();
}

float ulp(float v) { return std::nextafter(v, INFINITY) - v; }

}  // namespace

void PackedBinaryWeights::check() const {
  HWGQ_REQUIRE(out_channels > 0 && in_channels > 0 && kernel_h > 0 && kernel_w > 0 && groups > 0,
               "packed binary weights need positive shapes, got out_channels " << out_channels << ", in_channels "
                                                                               << in_channels << ", kernel "
                                                                               << kernel_h << " x " << kernel_w
                                                                               << ", groups " << groups);
  HWGQ_REQUIRE(out_channels % groups == 0,
               "packed binary weights: out_channels " << out_channels << " is not divisible by groups " << groups);
  HWGQ_REQUIRE(words_per_position == words_for_channels(in_channels),
               "packed binary weights: words_per_position is " << words_per_position << " but " << in_channels
                                                               << " input channels need "
                                                               << words_for_channels(in_channels));
  HWGQ_REQUIRE(bits.size() == expected_words(), "packed binary weights hold " << bits.size() << " words, the shapes need "
                                                                              << expected_words());
  HWGQ_REQUIRE(alpha.size() == size_t(out_channels),
               "packed binary weights hold " << alpha.size() << " alpha values for " << out_channels << " outputs");
}

bool ActivationLevels::uniform(const std::vector<float>& levels) {
  if (levels.empty()) return false;
  const double step = levels[0];
  for (size_t k = 0; k < levels.size(); ++k) {
    const double ideal = step * double(k + 1);
    if (std::fabs(double(levels[k]) - ideal) > 2.0 * double(ulp(levels[k]))) return false;
  }
  return true;
}

ActivationLevels::ActivationLevels(std::vector<float> levels) : levels_(std::move(levels)) {
  HWGQ_REQUIRE(!levels_.empty(), "activation levels: need at least one level (the Quant layer's centers)");
  for (size_t k = 0; k < levels_.size(); ++k) {
    HWGQ_REQUIRE(std::isfinite(levels_[k]) && levels_[k] > 0.f,
                 "activation levels must be positive and finite; level " << k + 1 << " is " << levels_[k]
                                                                         << " (levels: " << join(levels_) << ")");
    HWGQ_REQUIRE(k == 0 || levels_[k] > levels_[k - 1],
                 "activation levels must be strictly ascending (levels: " << join(levels_) << ")");
  }
  const int count = static_cast<int>(levels_.size());
  code_planes_.assign(count, 0);
  if (uniform(levels_)) {
    encoding_ = Encoding::kBitSerial;
    planes_ = 0;
    while ((1 << planes_) <= count) ++planes_;  // codes 0..K need ceil(log2(K + 1)) bits
    for (int k = 1; k <= count; ++k) code_planes_[k - 1] = static_cast<uint32_t>(k);
    for (int p = 0; p < planes_; ++p) plane_weights_.push_back(step() * double(1u << p));
  } else {
    HWGQ_REQUIRE(count <= kMaxPlanes, "activation levels: " << count << " non-uniform levels need " << count
                                                            << " planes, at most " << kMaxPlanes << " are supported");
    encoding_ = Encoding::kThermometer;
    planes_ = count;
    // Code k lies at or above levels 1..k: planes 0..k-1.
    for (int k = 1; k <= count; ++k) code_planes_[k - 1] = k == 32 ? 0xFFFFFFFFu : (1u << k) - 1u;
    for (int p = 0; p < planes_; ++p) {
      plane_weights_.push_back(double(levels_[p]) - (p == 0 ? 0.0 : double(levels_[p - 1])));
    }
  }
  HWGQ_REQUIRE(planes_ <= kMaxPlanes, "activation levels: " << count << " levels need " << planes_
                                                            << " planes, at most " << kMaxPlanes << " are supported");
}

}  // namespace hwgq::kernels
