// Solvers: the training loop (testing, display, snapshots, resume) around an update rule.
// SGD with momentum, Nesterov and Adam, with Caffe's learning-rate policies.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hwgq/net.hpp"
#include "hwgq/proto/hwgq.pb.h"
#include "hwgq/training_record.hpp"

namespace hwgq {

// The learning rate at `iter` for the solver's lr_policy (fixed, step, exp, inv, multistep,
// poly, sigmoid). `current_step` tracks the multistep position and is advanced here.
float learning_rate_at(const SolverParameter& param, int iter, int* current_step);

// Raises hwgq::Error for solver settings that cannot run (no net, unknown lr_policy or
// type, missing policy parameters, non-positive values).
void validate_solver(const SolverParameter& param, const std::string& origin);

class Solver {
 public:
  // `origin` is the solver file (for messages and the default snapshot prefix). Net paths
  // in the solver are read as given, relative to the working directory.
  Solver(const SolverParameter& param, const std::string& origin);
  virtual ~Solver() = default;

  // Trains to max_iter, resuming from `resume_state` (.solverstate) when given.
  void solve(const std::string& resume_state = "");
  // Runs `iters` iterations (testing, display and snapshots included).
  void step(int iters);
  // Restores iteration, history, generator and data positions from a .solverstate.
  void restore(const std::string& state_path);
  // Writes <prefix>_iter_<N>.caffemodel and .solverstate atomically; returns the model path
  // (which only the primary replica writes).
  std::string snapshot();
  // snapshot_prefix, or the solver file's path without its extension when that is unset.
  std::string snapshot_prefix() const;
  // Evaluates every test net over its test_iter batches; returns the output values of the
  // first test net (name -> mean value).
  std::vector<std::pair<std::string, float>> test_all();

  Net& net() { return *net_; }
  const std::vector<std::unique_ptr<Net>>& test_nets() const { return test_nets_; }
  int iter() const { return iter_; }
  const SolverParameter& param() const { return param_; }
  std::vector<std::shared_ptr<Blob>>& history() { return history_; }

  // Polled once per iteration; when it returns true the solver snapshots and stops
  // (SIGINT handling in the CLI).
  void set_stop_request(std::function<bool()> stop) { stop_requested_ = std::move(stop); }
  // Polled once per iteration; when it returns true the solver snapshots and carries on
  // (a signal whose effect is "snapshot").
  void set_snapshot_request(std::function<bool()> snapshot) { snapshot_requested_ = std::move(snapshot); }
  // Every iteration checks the loss, each gradient and each updated weight for NaN/Inf and
  // raises hwgq::Error naming the iteration. With this on, the error also names the first
  // layer (in forward order) whose output, or (in backward order) whose gradient, is not
  // finite; that search reads every blob, so it runs only once a check has failed.
  void set_debug_nonfinite(bool on) { debug_nonfinite_ = on; }

  // Hooks for data-parallel training (e.g. reducing gradients across replicas while
  // backward still runs). In each iteration, during the backward pass of the last of the
  // iter_size forward/backward passes, the gradient-ready callbacks get the id (index in
  // net().learnable_params()) of each parameter whose gradient has become final: once per
  // parameter, in backward order (the last layer's parameters first, each layer's in blob
  // order; a shared parameter with its first user, whose backward runs last), including
  // parameters whose layer needs no backward. The gradient then holds the sum over the
  // iter_size passes; the division by iter_size, clipping and weight decay come later, in
  // apply_update. After backward the gradients-ready callbacks run once, just before
  // apply_update. Callbacks run on the thread that calls step().
  void add_gradient_ready_callback(std::function<void(int param_id)> callback);
  void add_gradients_ready_callback(std::function<void()> callback);
  // For a parameter whose whole gradient a callback writes every iteration (its layer
  // computes none): step() then does not zero that gradient before the passes, which for
  // large fully connected weights is a stream through memory spent for nothing.
  void skip_gradient_clearing(int param_id);
  // Data-parallel runs: only the primary replica writes snapshots (and tidies up after
  // dead writers); the others keep training without writing anything.
  void set_primary(bool primary) { primary_ = primary; }
  bool primary() const { return primary_; }
  // Data-parallel runs: called with each test's output means (one per output value, over
  // this replica's test_iter batches) before they are logged; replaces them by the means
  // over all replicas.
  void set_test_output_reducer(std::function<void(std::vector<double>* means)> reducer) {
    test_output_reducer_ = std::move(reducer);
  }
  // Data-parallel runs: called before each test, e.g. to give every replica the primary's
  // BatchNorm statistics, so that all ranks test the net the primary snapshots.
  void set_before_test(std::function<void()> callback) { before_test_ = std::move(callback); }

  // Called with every training display (each `display` iterations) and every test-net
  // evaluation, after the log lines are written (metrics files, TensorBoard, progress).
  void add_record_callback(std::function<void(const TrainingRecord&)> callback);

  // One parameter update for the current iteration (learning rate, normalisation, weight
  // decay, the rule's update value, then data -= diff).
  void apply_update();

 protected:
  // Turns param_id's diff into the step to subtract, using history_.
  virtual void compute_update_value(int param_id, float rate) = 0;
  // The whole update of param_id (normalisation over iter_size, weight decay, the rule's
  // step, data -= step) in one pass, where the rule has one for this configuration; false
  // leaves it to the separate passes.
  virtual bool fused_update(int /*param_id*/, float /*rate*/) { return false; }
  // weight_decay times the parameter's decay_mult.
  float weight_decay_of(int param_id) const;
  // History blobs per learnable parameter (1 for SGD and Nesterov, 2 for Adam).
  virtual int history_blobs_per_param() const { return 1; }
  // Whether the update runs on the GPU (a GPU run keeps parameters and history there).
  bool on_gpu() const { return Context::get().mode() == Mode::GPU; }

  SolverParameter param_;
  std::string origin_;
  std::unique_ptr<Net> net_;
  std::vector<std::unique_ptr<Net>> test_nets_;
  std::vector<std::shared_ptr<Blob>> history_;
  int iter_ = 0;
  int current_step_ = 0;

 private:
  // batch_norm_recalibration_iter: test with the moving averages, then re-estimate them.
  void recalibrate_at_end();
  void init_nets();
  void init_history();
  void regularize(int param_id);
  void clip_gradients();
  std::vector<std::pair<std::string, float>> test(int test_net_id);
  void display(float smoothed_loss, double seconds_since_display, int iters_since_display);
  int images_per_iteration() const;
  // Stamps the wall time and hands `record` to the record callbacks.
  void emit_record(TrainingRecord record);
  // The last forward/backward pass of an iteration, with the gradient-ready callbacks.
  void backward_notifying();

  // Raises hwgq::Error when the loss, a gradient (`after_update` false) or a weight
  // (`after_update` true) of the current iteration is NaN or infinite.
  void check_finite(float loss, bool after_update);
  // " (first non-finite: ...)" for --debug_nonfinite, or "" when it is off or nothing is found.
  std::string first_nonfinite_layer() const;
  // Removes <prefix>_iter_*.tmp.<pid> files left by snapshots of processes that have died.
  void remove_orphaned_temporaries() const;

  std::function<bool()> stop_requested_;
  std::function<bool()> snapshot_requested_;
  std::function<void(std::vector<double>*)> test_output_reducer_;
  std::function<void()> before_test_;
  bool primary_ = true;
  bool debug_nonfinite_ = false;
  std::vector<bool> gradient_clearing_skipped_;  // per learnable parameter; empty: none
  std::vector<std::function<void(int)>> gradient_ready_callbacks_;
  std::vector<std::function<void()>> gradients_ready_callbacks_;
  std::vector<std::function<void(const TrainingRecord&)>> record_callbacks_;
  std::chrono::steady_clock::time_point created_ = std::chrono::steady_clock::now();
  // Per layer of net_, the ids of the learnable parameters it owns (made on first use).
  std::vector<std::vector<int>> params_owned_by_layer_;
  std::vector<float> recent_losses_;
  double train_seconds_ = 0;
};

class SGDSolver : public Solver {
 public:
  using Solver::Solver;

 protected:
  void compute_update_value(int param_id, float rate) override;
  // On the CPU with L2 weight decay: sgd_momentum_step.
  bool fused_update(int param_id, float rate) override;
};

class NesterovSolver : public Solver {
 public:
  using Solver::Solver;

 protected:
  void compute_update_value(int param_id, float rate) override;
};

class AdamSolver : public Solver {
 public:
  using Solver::Solver;

 protected:
  void compute_update_value(int param_id, float rate) override;
  int history_blobs_per_param() const override { return 2; }
};

// Makes the solver named by param.type() (SGD, Nesterov, Adam; the deprecated solver_type
// enum is honoured when type is unset).
std::unique_ptr<Solver> create_solver(const SolverParameter& param, const std::string& origin);
// Reads a solver prototxt and creates its solver.
std::unique_ptr<Solver> create_solver(const std::string& solver_path);

}  // namespace hwgq
