#pragma once
// How hwgq's OpenMP threads (its own loops and OpenBLAS's) wait for work.
//
// GNU OpenMP spins a waiting thread for about 300,000 pause instructions before it
// sleeps, which is fastest on an idle machine and ruinous on a shared one: two 2-thread
// processes on two cores each burn their time slices spinning for a sibling that is not
// running (measured: each kept 8 % of its speed). Fully passive waiting fixes that but
// pays a futex wake-up at every parallel region on an idle machine. hwgq spins a bounded
// number of times and then sleeps (docs/benchmarks.md, "Under load", has the figures
// behind the number).
//
// The runtime reads its wait settings from the environment once, when it is loaded, and
// offers no call to change them later, so a program picks them by setting the environment
// and starting itself again before anything else runs.
#include <string>

namespace hwgq {

// The spin count hwgq gives GNU OpenMP's GOMP_SPINCOUNT when the user set neither
// OMP_WAIT_POLICY nor GOMP_SPINCOUNT. The Python package sets the same before it loads the
// library (python/hwgq/__init__.py; tests/python/test_thread_wait.py checks they agree).
constexpr long kDefaultOpenMpSpinCount = 1000;

// The environment variable and value to set, or an empty name where the user's own
// OMP_WAIT_POLICY / GOMP_SPINCOUNT (or an earlier start of this program) already decided.
struct WaitPolicyChoice {
  std::string variable;
  std::string value;
};
WaitPolicyChoice choose_thread_wait_policy(const char* omp_wait_policy, const char* gomp_spincount,
                                           const char* already_restarted);

// First thing in main(): when choose_thread_wait_policy() asks for a setting, sets it and
// re-executes the program with the same arguments; returns only where nothing had to
// change or the restart failed (the program then runs with the runtime's defaults).
// Under valgrind (whose tools would not follow the restart) it changes nothing.
void restart_with_thread_wait_policy(char** argv);

// One line for logs: how this process's OpenMP threads wait and where that came from.
std::string describe_thread_wait_policy();

}  // namespace hwgq
