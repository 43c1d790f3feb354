// What every benchmark program does first, and the solver settings the training
// benchmarks time, written once.
#pragma once

#include <gflags/gflags.h>
#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "hwgq/common.hpp"
#include "hwgq/proto/hwgq.pb.h"
#include "hwgq/util/thread_wait_policy.hpp"

namespace hwgq::bench {

// Flags parsed, logs to stderr from WARNING up; with `thread_wait_policy` the program first
// restarts itself with the hwgq tool's OpenMP thread waiting (thread_wait_policy.hpp), which
// programs started by mpirun leave to the launcher.
inline void start(int* argc, char*** argv, bool thread_wait_policy = true) {
  if (thread_wait_policy) restart_with_thread_wait_policy(*argv);
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = 1;
  gflags::ParseCommandLineFlags(argc, argv, true);
  google::InitGoogleLogging((*argv)[0]);
}

// The median of timings (the upper middle one for an even count).
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Wall-clock milliseconds that run() takes.
template <class F>
double wall_ms(F&& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Plain SGD as the training benchmarks run it: fixed lr 0.01, momentum 0.9, weight decay
// 5e-4, no end, random seed `seed`.
inline void set_benchmark_sgd(SolverParameter* solver, int seed = 1) {
  solver->set_base_lr(0.01f);
  solver->set_lr_policy("fixed");
  solver->set_momentum(0.9f);
  solver->set_weight_decay(5e-4f);
  solver->set_max_iter(1 << 30);
  solver->set_random_seed(seed);
}

// The solver's backward_precision from a --backward_precision flag: "float32" or "bf16".
inline void set_backward_precision(SolverParameter* solver, const std::string& name) {
  HWGQ_REQUIRE(name == "float32" || name == "bf16", "--backward_precision must be float32 or bf16, got \"" << name << "\"");
  solver->set_backward_precision(name == "bf16" ? SolverParameter::BF16 : SolverParameter::FLOAT32);
}

}  // namespace hwgq::bench
