#include "hwgq/util/thread_wait_policy.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace hwgq {

namespace {

// Set in the restarted process, so that it never restarts again.
constexpr const char* kRestartedMarker = "HWGQ_THREAD_WAIT_POLICY_SET";

bool running_under_valgrind() {
  const char* preload = std::getenv("LD_PRELOAD");
  return preload != nullptr && std::strstr(preload, "vgpreload") != nullptr;
}

}  // namespace

WaitPolicyChoice choose_thread_wait_policy(const char* omp_wait_policy, const char* gomp_spincount,
                                           const char* already_restarted) {
  if (omp_wait_policy != nullptr || gomp_spincount != nullptr || already_restarted != nullptr) return {};
  return {"GOMP_SPINCOUNT", std::to_string(kDefaultOpenMpSpinCount)};
}

void restart_with_thread_wait_policy(char** argv) {
  const WaitPolicyChoice choice = choose_thread_wait_policy(
      std::getenv("OMP_WAIT_POLICY"), std::getenv("GOMP_SPINCOUNT"), std::getenv(kRestartedMarker));
  if (choice.variable.empty() || running_under_valgrind()) return;
  if (setenv(choice.variable.c_str(), choice.value.c_str(), 1) != 0) return;
  if (setenv(kRestartedMarker, "1", 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Only reached when the restart failed: run on with the runtime's defaults, and say so
  // truthfully in describe_thread_wait_policy().
  unsetenv(choice.variable.c_str());
  unsetenv(kRestartedMarker);
}

std::string describe_thread_wait_policy() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spincount = std::getenv("GOMP_SPINCOUNT");
  const bool chosen_here = std::getenv(kRestartedMarker) != nullptr;
  std::string text;
  if (policy != nullptr) text += std::string("OMP_WAIT_POLICY=") + policy;
  if (spincount != nullptr) {
    if (!text.empty()) text += ", ";
    text += std::string("GOMP_SPINCOUNT=") + spincount;
  }
  if (text.empty()) return "OpenMP threads wait with the runtime's defaults";
  return "OpenMP threads wait with " + text + (chosen_here ? " (hwgq's default)" : " (from the environment)");
}

}  // namespace hwgq
