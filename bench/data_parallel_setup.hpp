// The training the data-parallel benchmarks time, written once: a solver for a net whose
// inputs are Input layers, filled once with random values and cycling labels, so that data
// loading is not timed.
#pragma once

#include <memory>
#include <string>

#include "bench_setup.hpp"
#include "hwgq/math/random.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::bench {

// A plain-SGD solver (set_benchmark_sgd, seed `seed`) for the net in `model`, `batch` images
// per iteration (0 keeps the prototxt's).
inline std::unique_ptr<Solver> make_benchmark_solver(const std::string& model, int batch, int seed) {
  SolverParameter solver;
  read_text_proto(model, solver.mutable_net_param());
  if (batch > 0) set_batch_size(solver.mutable_net_param(), batch);
  set_benchmark_sgd(&solver, seed);
  solver.set_display(0);
  return create_solver(solver, model);
}

// Uniform [0, 1) values in every input but the last, which holds labels 0, 1, ... cycling
// through [0, classes). Returns the batch size.
inline int fill_random_inputs(Net* net, int classes) {
  auto& inputs = net->input_blobs();
  for (size_t i = 0; i + 1 < inputs.size(); ++i) {
    rng_uniform(inputs[i]->count(), 0.f, 1.f, inputs[i]->mutable_cpu_data());
  }
  Blob* labels = inputs.back();
  for (int i = 0; i < labels->count(); ++i) labels->mutable_cpu_data()[i] = i % classes;
  return inputs[0]->shape(0);
}

}  // namespace hwgq::bench
