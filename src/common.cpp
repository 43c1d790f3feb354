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
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out << " x ";
    out << shape[i];
    count *= shape[i];
  }
  out << " (" << count << ")";
  return out.str();
}

}  // namespace hwgq
