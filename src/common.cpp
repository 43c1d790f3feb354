#include "hwgq/common.hpp"

namespace hwgq {

namespace detail {
void throw_error(const std::string& message) { throw Error(message); }
}  // namespace detail

Context& Context::get() {
  thread_local Context context;
  return context;
}

// Unseeded runs differ from each other, as users expect when random_seed is not set.
Context::Context() : rng_(std::random_device{}()) {}

bool cuda_compiled() {
#ifdef HWGQ_WITH_CUDA
  return true;
#else
  return false;
#endif
}

std::string shape_string(const std::vector<int>& shape) {
  std::ostringstream out;
  // Shapes read from files may be far beyond anything allocatable: the count saturates
  // instead of overflowing.
  int64_t count = 1;
  bool overflow = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out << " x ";
    out << shape[i];
    if (!overflow) overflow = __builtin_mul_overflow(count, int64_t(shape[i]), &count);
  }
  if (overflow)
    out << " (beyond 2^63)";
  else
    out << " (" << count << ")";
  return out.str();
}

}  // namespace hwgq
