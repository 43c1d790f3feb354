#include <gflags/gflags.h>
#include <glog/logging.h>

#include <atomic>
#include <csignal>
#include <sstream>

#include "commands.hpp"
#include "data_parallel.hpp"
#include "flags.hpp"
#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/monitor/metrics_log.hpp"
#include "hwgq/monitor/tensorboard_events.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/device_memory.hpp"
#include "hwgq/util/io.hpp"

DEFINE_string(sigint_effect, "stop",
              "train: what SIGINT (Ctrl-C) does: stop (snapshot, then stop), snapshot (snapshot and carry on) "
              "or none");
DEFINE_string(sighup_effect, "stop", "train: what SIGHUP does: stop, snapshot or none (as --sigint_effect)");
DEFINE_bool(debug_nonfinite, false,
            "train: when the loss, a gradient or a weight goes NaN/Inf, also name the first layer whose output "
            "or gradient did");

DEFINE_bool(sync_batch_norm, false,
            "train under mpirun: every BatchNorm layer takes its training statistics over the batches of all "
            "ranks (allreduced mean and variance), overriding the layers' sync_across_replicas; no effect in a "
            "single process");

DEFINE_string(backward_precision, "",
              "train: precision of the CPU backward passes of Convolution and BinaryConvolution layers: float32 or "
              "bf16 (bfloat16 inputs, float gradients; float32 with a warning where the CPU lacks AVX512_BF16); "
              "overrides the solver's backward_precision, which applies when this is empty");

DEFINE_string(tensorboard_dir, "", "train: also write TensorBoard scalars (event file) into this folder");

namespace hwgq::cli {

namespace {

enum class SignalEffect { kStop, kSnapshot, kNone };

std::atomic<bool> stop_requested{false};
std::atomic<bool> snapshot_requested{false};
// Read by the handler; set before the handlers are installed.
std::atomic<SignalEffect> sigint_effect{SignalEffect::kStop};
std::atomic<SignalEffect> sighup_effect{SignalEffect::kStop};

SignalEffect parse_effect(const std::string& flag, const std::string& value) {
  if (value == "stop") return SignalEffect::kStop;
  if (value == "snapshot") return SignalEffect::kSnapshot;
  HWGQ_REQUIRE(value == "none", "--" << flag << " must be stop, snapshot or none, got \"" << value << "\"");
  return SignalEffect::kNone;
}

// SIGTERM (what schedulers and `kill` send) and, by default, SIGINT and SIGHUP (a closed
// terminal) ask the solver to snapshot and stop after the current iteration; a second one
// ends the process at once. A "snapshot" effect asks for a snapshot and training goes on.
// The handler only sets flags, which the solver polls between iterations.
void on_signal(int signal_number) {
  const SignalEffect effect = signal_number == SIGINT   ? sigint_effect.load()
                              : signal_number == SIGHUP ? sighup_effect.load()
                                                        : SignalEffect::kStop;
  if (effect == SignalEffect::kSnapshot) {
    snapshot_requested = true;
  } else if (effect == SignalEffect::kStop && stop_requested.exchange(true)) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}

// Installs the handlers for the life of a training run and restores the defaults after it,
// also when training ends with an error.
class SignalHandlers {
 public:
  SignalHandlers() {
    for (int number : {SIGINT, SIGHUP, SIGTERM}) {
      const SignalEffect effect = number == SIGINT ? sigint_effect.load()
                                  : number == SIGHUP ? sighup_effect.load()
                                                     : SignalEffect::kStop;
      std::signal(number, effect == SignalEffect::kNone ? SIG_IGN : on_signal);
    }
  }
  ~SignalHandlers() {
    for (int number : {SIGINT, SIGHUP, SIGTERM}) std::signal(number, SIG_DFL);
  }
  SignalHandlers(const SignalHandlers&) = delete;
  SignalHandlers& operator=(const SignalHandlers&) = delete;
};

// Applies --sync_batch_norm to every BatchNorm of the solver's nets and logs which layers
// take their statistics over all ranks.
void configure_batch_norm_sync(Solver* solver, const DataParallelRun& run) {
  std::vector<Net*> nets = {&solver->net()};
  for (const auto& net : solver->test_nets()) nets.push_back(net.get());
  std::string synchronized;
  for (Net* net : nets) {
    for (const auto& layer : net->layers()) {
      auto* batch_norm = dynamic_cast<BatchNormLayer*>(layer.get());
      if (!batch_norm) continue;
      if (FLAGS_sync_batch_norm) batch_norm->set_sync_across_replicas(true);
      if (net == &solver->net() && batch_norm->sync_across_replicas()) {
        synchronized += (synchronized.empty() ? "" : ", ") + batch_norm->name();
      }
    }
  }
  if (FLAGS_sync_batch_norm) {
    LOG(INFO) << "--sync_batch_norm: every BatchNorm layer takes its batch statistics over all " << run.size()
              << " rank(s) (the flag overrides the layers' sync_across_replicas)"
              << (run.active() ? "" : "; with one process this changes nothing");
  } else if (!synchronized.empty()) {
    LOG(INFO) << "BatchNorm layers with batch statistics over all " << run.size()
              << " rank(s) (sync_across_replicas): " << synchronized;
  }
}

// Applies --backward_precision over the solver file's backward_precision and logs the
// precision asked for (the pass bf16_conv_backward logs whether the CPU can give it).
void apply_backward_precision_flag(SolverParameter* param) {
  const std::string& flag = FLAGS_backward_precision;
  if (!flag.empty()) {
    HWGQ_REQUIRE(flag == "float32" || flag == "bf16",
                 "--backward_precision must be float32 or bf16, got \"" << flag << "\"");
    param->set_backward_precision(flag == "bf16" ? SolverParameter::BF16 : SolverParameter::FLOAT32);
  }
  LOG(INFO) << "Convolution backward passes (CPU) asked for in "
            << (param->backward_precision() == SolverParameter::BF16 ? "bfloat16" : "float32")
            << (flag.empty() ? " (solver's backward_precision)" : " (--backward_precision)");
}

}  // namespace

namespace {

int train_replica(DataParallelRun& run);

}  // namespace

int train(const std::vector<std::string>& args) {
  DataParallelRun run;
  if (!run.active()) return train_replica(run);
  // One rank's error would leave the others waiting in the next allreduce: it ends the job.
  try {
    const int status = train_replica(run);
    run.log_reduction_stats();
    return status;
  } catch (const Error& error) {
    run.fail("train", error.what());
  } catch (const std::bad_alloc&) {
    run.fail("train", "out of memory");
  }
}

namespace {

int train_replica(DataParallelRun& run) {
  HWGQ_REQUIRE(!FLAGS_solver.empty(), "train needs --solver=path/to/solver.prototxt");
  HWGQ_REQUIRE(FLAGS_weights.empty() || FLAGS_snapshot.empty(),
               "give either --weights (fine-tune) or --snapshot (resume), not both");
  sigint_effect = parse_effect("sigint_effect", FLAGS_sigint_effect);
  sighup_effect = parse_effect("sighup_effect", FLAGS_sighup_effect);
  SolverParameter param;
  read_text_proto(FLAGS_solver, &param);
  if (FLAGS_gpu < 0 && param.solver_mode() == SolverParameter::GPU) {
    if (device_count() > 0) {
      FLAGS_gpu = param.device_id();
    } else {
      LOG(WARNING) << FLAGS_solver << " asks for solver_mode GPU, but no GPU is available; training on the CPU";
    }
  }
  if (FLAGS_gpu >= 0) FLAGS_gpu = run.local_gpu(FLAGS_gpu);
  apply_device_flags();
  LOG(INFO) << "Training on " << (FLAGS_gpu >= 0 ? "GPU " + std::to_string(FLAGS_gpu) : std::string("the CPU"));
  run.agree_on_seed(&param);
  apply_backward_precision_flag(&param);

  auto solver = create_solver(param, FLAGS_solver);
  for (const auto& weights : split_commas(FLAGS_weights)) {
    LOG(INFO) << "Fine-tuning from " << weights;
    solver->net().copy_trained_layers_from(weights);
  }
  solver->set_debug_nonfinite(FLAGS_debug_nonfinite);
  configure_batch_norm_sync(solver.get(), run);

  // A resumed run keeps the earlier run's records before the iteration it resumes from.
  int resume_iteration = -1;
  if (!FLAGS_snapshot.empty()) {
    SolverState state;
    read_binary_proto(FLAGS_snapshot, &state);
    resume_iteration = state.iter();
  }
  // Rank 0 alone records the run, as it alone logs and snapshots. The solver's records
  // already count the images of every rank, and its test outputs are the means over all.
  const bool records_run = run.rank() == 0;
  std::unique_ptr<MetricsLog> metrics;
  if (records_run && FLAGS_metrics != "none") {
    const std::string path = FLAGS_metrics == "auto" ? solver->snapshot_prefix() + "_metrics.jsonl" : FLAGS_metrics;
    metrics = std::make_unique<MetricsLog>(path, resume_iteration);
    LOG(INFO) << "Metrics: " << path;
    solver->add_record_callback([&metrics](const TrainingRecord& record) { metrics->write(record); });
  }
  std::unique_ptr<TensorBoardEventWriter> tensorboard;
  if (records_run && !FLAGS_tensorboard_dir.empty()) {
    tensorboard = std::make_unique<TensorBoardEventWriter>(FLAGS_tensorboard_dir);
    LOG(INFO) << "TensorBoard events: " << tensorboard->path();
    solver->add_record_callback([&tensorboard](const TrainingRecord& record) { tensorboard->write(record); });
  }
  const SignalHandlers handlers;
  if (!run.active()) {
    solver->set_stop_request([] { return stop_requested.load(); });
    solver->set_snapshot_request([] { return snapshot_requested.exchange(false); });
    solver->solve(FLAGS_snapshot);
    return 0;
  }
  run.attach(
      solver.get(), [] { return stop_requested.load(); }, [] { return snapshot_requested.exchange(false); });
  // Every rank reads the same .solverstate (iteration, learning-rate step, data
  // positions); weights and history then come from rank 0, so the ranks start equal.
  if (!FLAGS_snapshot.empty()) {
    LOG(INFO) << "Restoring previous solver status from " << FLAGS_snapshot;
    solver->restore(FLAGS_snapshot);
    run.after_restore(solver.get());
  }
  solver->solve();
  return 0;
}

}  // namespace

}  // namespace hwgq::cli
