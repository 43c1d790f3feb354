#include <glog/logging.h>

#include <atomic>
#include <csignal>
#include <sstream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/device_memory.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::cli {

namespace {

std::atomic<bool> stop_requested{false};

// The first Ctrl-C asks the solver to snapshot and stop after the current iteration; a
// second one ends the process at once.
void on_interrupt(int) {
  if (stop_requested.exchange(true)) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

}  // namespace

int train(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(!FLAGS_solver.empty(), "train needs --solver=path/to/solver.prototxt");
  HWGQ_REQUIRE(FLAGS_weights.empty() || FLAGS_snapshot.empty(),
               "give either --weights (fine-tune) or --snapshot (resume), not both");
  SolverParameter param;
  read_text_proto(FLAGS_solver, &param);
  if (FLAGS_gpu < 0 && param.solver_mode() == SolverParameter::GPU) {
    if (device_count() > 0) {
      FLAGS_gpu = param.device_id();
    } else {
      LOG(WARNING) << FLAGS_solver << " asks for solver_mode GPU, but no GPU is available; training on the CPU";
    }
  }
  apply_device_flags();
  LOG(INFO) << "Training on " << (FLAGS_gpu >= 0 ? "GPU " + std::to_string(FLAGS_gpu) : std::string("the CPU"));

  auto solver = create_solver(param, FLAGS_solver);
  for (const auto& weights : split_commas(FLAGS_weights)) {
    LOG(INFO) << "Fine-tuning from " << weights;
    solver->net().copy_trained_layers_from(weights);
  }
  std::signal(SIGINT, on_interrupt);
  solver->set_stop_request([] { return stop_requested.load(); });
  solver->solve(FLAGS_snapshot);
  std::signal(SIGINT, SIG_DFL);
  return 0;
}

}  // namespace hwgq::cli
