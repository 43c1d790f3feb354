// The OpenMP team queries the CPU loops use, also in a build without OpenMP (one thread).
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

namespace hwgq {

// Threads a parallel region started now would get.
inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// The calling thread's number in its team (0 outside parallel regions).
inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace hwgq
