// .solverstate parsing and restoring: the input is restored into an SGD, Nesterov or Adam
// solver (by the input's first byte: their history layouts differ) on the tiny net of
// tiny_net.hpp, which then trains one iteration from the restored state.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "fuzz_support.hpp"
#include "hwgq/common.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "tiny_net.hpp"

namespace {

std::unique_ptr<hwgq::Solver> make_solver(uint8_t selector) {
  static const char* const kTypes[] = {"SGD", "Nesterov", "Adam"};
  hwgq::SolverParameter param;
  hwgq::parse_text_proto(hwgq::fuzz::tiny_train_net(), "tiny_net", param.mutable_net_param());
  param.set_type(kTypes[selector % 3]);
  param.set_base_lr(0.01f);
  param.set_lr_policy("fixed");
  param.set_momentum(0.9f);
  param.set_max_iter(1000);
  param.set_random_seed(1);
  return hwgq::create_solver(param, "fuzz_solver.prototxt");
}

// What a solverstate's learned_net is pointed at: the tiny net's own weights.
const hwgq::fuzz::ScratchFile& learned_weights() {
  static const hwgq::fuzz::ScratchFile weights("learned.caffemodel");
  return weights;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hwgq::fuzz::init_fuzz_target();
  auto solver = make_solver(0);
  hwgq::NetParameter trained;
  solver->net().to_proto(&trained);
  hwgq::write_binary_proto(trained, learned_weights().path());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hwgq::fuzz::ScratchFile state_file("restore.solverstate");
  if (size == 0) return 0;
  std::unique_ptr<hwgq::Solver> solver = make_solver(data[0]);
  hwgq::SolverState state;
  // learned_net is a path: keep the input's own bytes unless it names one, which is then
  // replaced by the tiny net's weights so that no fuzz input reads the machine's files.
  if (state.ParseFromArray(data + 1, static_cast<int>(size - 1)) && state.has_learned_net()) {
    state.set_learned_net(learned_weights().path());
    state_file.write(state.SerializeAsString());
  } else {
    state_file.write(data + 1, size - 1);
  }
  try {
    solver->restore(state_file.path());
    solver->step(1);
  } catch (const hwgq::Error&) {
  }
  return 0;
}
