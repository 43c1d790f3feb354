#include "hwgq/filler.hpp"

#include <cmath>

#include "hwgq/common.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/math/random.hpp"

namespace hwgq {

namespace {

float fan_scale_count(const FillerParameter& filler, const Blob& blob) {
  const int count = blob.count();
  HWGQ_REQUIRE(blob.num_axes() >= 1 && blob.shape(0) > 0, "filler \"" << filler.type() << "\" needs a blob with a "
                                                                      << "non-empty first axis, got " << blob.shape_string());
  const float fan_in = static_cast<float>(count) / blob.shape(0);
  const float fan_out = blob.num_axes() > 1 ? static_cast<float>(count) / blob.shape(1) : fan_in;
  switch (filler.variance_norm()) {
    case FillerParameter::FAN_OUT:
      return fan_out;
    case FillerParameter::AVERAGE:
      return (fan_in + fan_out) / 2.f;
    default:
      return fan_in;
  }
}

}  // namespace

void fill_blob(const FillerParameter& filler, Blob* blob) {
  const std::string& type = filler.type();
  float* data = blob->mutable_cpu_data();
  const int count = blob->count();
  HWGQ_REQUIRE(filler.sparse() < 0, "filler \"" << type << "\": sparse filling is not supported");
  if (type == "constant") {
    set(count, filler.value(), data);
  } else if (type == "uniform") {
    HWGQ_REQUIRE(filler.min() <= filler.max(), "uniform filler needs min <= max, got min " << filler.min() << ", max "
                                                                                          << filler.max());
    rng_uniform(count, filler.min(), filler.max(), data);
  } else if (type == "gaussian") {
    HWGQ_REQUIRE(filler.std() >= 0, "gaussian filler needs std >= 0, got " << filler.std());
    rng_gaussian(count, filler.mean(), filler.std(), data);
  } else if (type == "xavier") {
    // Uniform on [-a, a] with a = sqrt(3 / n): variance 1/n (Glorot & Bengio).
    const float a = std::sqrt(3.f / fan_scale_count(filler, *blob));
    rng_uniform(count, -a, a, data);
  } else if (type == "msra") {
    // Gaussian with variance 2/n (He et al., for ReLU networks).
    rng_gaussian(count, 0.f, std::sqrt(2.f / fan_scale_count(filler, *blob)), data);
  } else {
    HWGQ_FAIL("unknown filler type \"" << type << "\"; known types: constant, uniform, gaussian, xavier, msra");
  }
}

}  // namespace hwgq
