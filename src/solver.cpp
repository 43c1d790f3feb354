#include "hwgq/solver.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <numeric>
#include <sstream>

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "hwgq/batch_norm_recalibration.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/math/sgd_step.hpp"
#include "hwgq/passes/net_pass.hpp"
#include "hwgq/replica.hpp"
#include "hwgq/util/io.hpp"

#ifdef HWGQ_WITH_CUDA
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/solver_kernels.hpp"
#endif

namespace hwgq {

namespace {

// The name a record gives value k of an output blob: the blob's name, with "#k" where the
// blob holds more than one value.
std::string output_value_name(const std::string& blob_name, int k, int count) {
  return count == 1 ? blob_name : blob_name + "#" + std::to_string(k);
}

const char* const kLrPolicies = "fixed, step, exp, inv, multistep, poly, sigmoid";

std::string format_duration(double seconds) {
  const long s = std::lround(seconds);
  std::ostringstream out;
  if (s >= 3600) out << s / 3600 << "h";
  if (s >= 60) out << (s % 3600) / 60 << "m";
  out << s % 60 << "s";
  return out.str();
}

std::string solver_type(const SolverParameter& param) {
  if (!param.has_type() && param.has_solver_type()) {
    switch (param.solver_type()) {
      case SolverParameter::NESTEROV:
        return "Nesterov";
      case SolverParameter::ADAM:
        return "Adam";
      case SolverParameter::SGD:
        return "SGD";
      default:
        return SolverParameter::SolverType_Name(param.solver_type());
    }
  }
  return param.type();
}

}  // namespace

void validate_solver(const SolverParameter& param, const std::string& origin) {
  const int net_sources = param.has_net() + param.has_net_param() + param.has_train_net() + param.has_train_net_param();
  HWGQ_REQUIRE(net_sources >= 1, origin << ": the solver names no net (set `net: \"path/to/train_val.prototxt\"`)");
  HWGQ_REQUIRE(net_sources == 1, origin << ": the solver names its train net " << net_sources
                                        << " times (net, net_param, train_net, train_net_param); give one");
  HWGQ_REQUIRE(param.has_base_lr(), origin << ": base_lr is not set");
  // NaN fails every comparison, so it is named on its own rather than as "negative".
  HWGQ_REQUIRE(std::isfinite(param.base_lr()), origin << ": base_lr must be a finite number, got " << param.base_lr());
  HWGQ_REQUIRE(param.base_lr() >= 0, origin << ": base_lr must not be negative, got " << param.base_lr());
  HWGQ_REQUIRE(param.max_iter() >= 0, origin << ": max_iter must not be negative, got " << param.max_iter());
  HWGQ_REQUIRE(param.batch_norm_recalibration_iter() >= 0,
               origin << ": batch_norm_recalibration_iter must not be negative, got "
                      << param.batch_norm_recalibration_iter());
  HWGQ_REQUIRE(param.iter_size() >= 1, origin << ": iter_size must be at least 1, got " << param.iter_size());
  HWGQ_REQUIRE(param.average_loss() >= 1, origin << ": average_loss must be at least 1, got " << param.average_loss());
  HWGQ_REQUIRE(param.display() >= 0 && param.snapshot() >= 0 && param.test_interval() >= 0,
               origin << ": display, snapshot and test_interval must not be negative");
  HWGQ_REQUIRE(param.momentum() >= 0 && param.momentum() < 1 + 1e-6,
               origin << ": momentum must lie in [0, 1], got " << param.momentum());
  HWGQ_REQUIRE(param.weight_decay() >= 0, origin << ": weight_decay must not be negative");
  HWGQ_REQUIRE(param.regularization_type() == "L2" || param.regularization_type() == "L1",
               origin << ": unknown regularization_type \"" << param.regularization_type() << "\"; known: L1, L2");
  for (int n : param.test_iter()) HWGQ_REQUIRE(n > 0, origin << ": test_iter must be positive, got " << n);
  if (param.test_interval() > 0) {
    HWGQ_REQUIRE(param.test_iter_size() > 0, origin << ": test_interval is set but test_iter is not");
  }
  const std::string& policy = param.lr_policy();
  HWGQ_REQUIRE(!policy.empty(), origin << ": lr_policy is not set; known policies: " << kLrPolicies);
  if (policy == "step") {
    HWGQ_REQUIRE(param.stepsize() > 0, origin << ": lr_policy \"step\" needs a positive stepsize");
    HWGQ_REQUIRE(param.has_gamma(), origin << ": lr_policy \"step\" needs gamma");
  } else if (policy == "exp") {
    HWGQ_REQUIRE(param.has_gamma(), origin << ": lr_policy \"exp\" needs gamma");
  } else if (policy == "inv") {
    HWGQ_REQUIRE(param.has_gamma() && param.has_power(), origin << ": lr_policy \"inv\" needs gamma and power");
  } else if (policy == "multistep") {
    HWGQ_REQUIRE(param.stepvalue_size() > 0 && param.has_gamma(),
                 origin << ": lr_policy \"multistep\" needs gamma and at least one stepvalue");
    for (int i = 1; i < param.stepvalue_size(); ++i) {
      HWGQ_REQUIRE(param.stepvalue(i) > param.stepvalue(i - 1), origin << ": stepvalue must be ascending");
    }
  } else if (policy == "poly") {
    HWGQ_REQUIRE(param.has_power(), origin << ": lr_policy \"poly\" needs power");
    HWGQ_REQUIRE(param.max_iter() > 0, origin << ": lr_policy \"poly\" needs a positive max_iter");
  } else if (policy == "sigmoid") {
    HWGQ_REQUIRE(param.has_gamma() && param.stepsize() > 0, origin << ": lr_policy \"sigmoid\" needs gamma and stepsize");
  } else {
    HWGQ_REQUIRE(policy == "fixed", origin << ": unknown lr_policy \"" << policy << "\"; known policies: " << kLrPolicies);
  }
  const std::string type = solver_type(param);
  HWGQ_REQUIRE(type == "SGD" || type == "Nesterov" || type == "Adam",
               origin << ": unknown solver type \"" << type << "\"; known types: SGD, Nesterov, Adam");
  if (param.solver_mode() == SolverParameter::GPU) {
    HWGQ_REQUIRE(param.device_id() >= 0, origin << ": device_id must not be negative");
  }
}

float learning_rate_at(const SolverParameter& param, int iter, int* current_step) {
  const std::string& policy = param.lr_policy();
  const double base = param.base_lr();
  if (policy == "fixed") return base;
  if (policy == "step") return base * std::pow(param.gamma(), std::floor(double(iter) / param.stepsize()));
  if (policy == "exp") return base * std::pow(param.gamma(), iter);
  if (policy == "inv") return base * std::pow(1.0 + param.gamma() * iter, -param.power());
  if (policy == "multistep") {
    while (*current_step < param.stepvalue_size() && iter >= param.stepvalue(*current_step)) ++*current_step;
    return base * std::pow(param.gamma(), *current_step);
  }
  if (policy == "poly") return base * std::pow(1.0 - double(iter) / param.max_iter(), param.power());
  if (policy == "sigmoid") return base / (1.0 + std::exp(-param.gamma() * (iter - param.stepsize())));
  HWGQ_FAIL("unknown lr_policy \"" << policy << "\"; known policies: " << kLrPolicies);
}

Solver::Solver(const SolverParameter& param, const std::string& origin) : param_(param), origin_(origin) {
  validate_solver(param_, origin_);
  if (param_.random_seed() >= 0) Context::get().set_random_seed(static_cast<uint64_t>(param_.random_seed()));
  init_nets();
}

void Solver::init_nets() {
  NetParameter train_param;
  std::string train_origin;
  if (param_.has_net()) {
    train_origin = param_.net();
    read_text_proto(param_.net(), &train_param);
  } else if (param_.has_train_net()) {
    train_origin = param_.train_net();
    read_text_proto(param_.train_net(), &train_param);
  } else if (param_.has_net_param()) {
    train_origin = origin_ + " (net_param)";
    train_param = param_.net_param();
  } else {
    train_origin = origin_ + " (train_net_param)";
    train_param = param_.train_net_param();
  }
  NetParameter train_with_state(train_param);
  NetState train_state = train_param.state();
  train_state.MergeFrom(param_.train_state());
  train_state.set_phase(TRAIN);
  *train_with_state.mutable_state() = train_state;
  net_ = std::make_unique<Net>(train_with_state, TRAIN, train_origin);
  // Training nets get the training fusion of BatchNorm + Quant and the integer forward of
  // binary layers; their convolutions' backward passes run in bfloat16 when asked (only the
  // training net runs backward passes).
  for (const auto& pass : default_training_passes()) apply_net_pass(*net_, pass);
  if (param_.backward_precision() == SolverParameter::BF16) apply_net_pass(*net_, "bf16_conv_backward");

  // Test nets: explicit test_net / test_net_param entries, then the generic net for the
  // remaining test_iter entries.
  std::vector<std::pair<NetParameter, std::string>> test_params;
  for (const auto& path : param_.test_net()) {
    NetParameter p;
    read_text_proto(path, &p);
    test_params.emplace_back(p, path);
  }
  for (const auto& p : param_.test_net_param()) test_params.emplace_back(p, origin_ + " (test_net_param)");
  const bool generic = param_.has_net() || param_.has_net_param();
  while (generic && (int)test_params.size() < param_.test_iter_size()) test_params.emplace_back(train_param, train_origin);
  HWGQ_REQUIRE((int)test_params.size() == param_.test_iter_size(),
               origin_ << ": " << test_params.size() << " test net(s) but " << param_.test_iter_size()
                       << " test_iter value(s); give one test_iter per test net");
  for (size_t i = 0; i < test_params.size(); ++i) {
    NetParameter p(test_params[i].first);
    NetState state = p.state();
    if (i < (size_t)param_.test_state_size()) state.MergeFrom(param_.test_state(i));
    state.set_phase(TEST);
    *p.mutable_state() = state;
    test_nets_.push_back(std::make_unique<Net>(p, TEST, test_params[i].second));
    test_nets_.back()->share_trained_layers_with(*net_);
    // Test nets only run forward: the inference passes apply (folding reads the shared
    // statistics at every forward, so it follows training).
    for (const auto& pass : default_inference_passes()) apply_net_pass(*test_nets_.back(), pass);
  }
  for (const auto& weights : param_.weights()) {
    LOG(INFO) << "Initialising from " << weights;
    net_->copy_trained_layers_from(weights);
  }
}

void Solver::init_history() {
  if (!history_.empty()) return;
  const auto& params = net_->learnable_params();
  for (int k = 0; k < history_blobs_per_param(); ++k) {
    for (Blob* p : params) history_.push_back(std::make_shared<Blob>(p->shape()));
  }
}

int Solver::images_per_iteration() const {
  if (net_->layers().empty() || net_->top_vecs(0).empty() || net_->top_vecs(0)[0]->num_axes() == 0) return 0;
  return net_->top_vecs(0)[0]->shape(0) * param_.iter_size() * this_replica().count;
}

void Solver::solve(const std::string& resume_state) {
  LOG(INFO) << "Solving " << net_->name();
  LOG(INFO) << "Learning Rate Policy: " << param_.lr_policy();
  if (!resume_state.empty()) {
    LOG(INFO) << "Restoring previous solver status from " << resume_state;
    restore(resume_state);
  }
  remove_orphaned_temporaries();
  const int start_iter = iter_;
  step(param_.max_iter() - iter_);
  const bool stopped = iter_ < param_.max_iter();
  // max_iter 0 writes the initial weights as _iter_0, as Caffe does (a starting point to
  // evaluate or to resume from).
  if (param_.snapshot_after_train() && !stopped && (param_.snapshot() == 0 || iter_ % param_.snapshot() != 0) &&
      (iter_ > start_iter || param_.max_iter() == 0)) {
    snapshot();
  }
  if (stopped) {
    LOG(INFO) << "Stopped at iteration " << iter_ << " on request";
    return;
  }
  // No extra training-phase forward pass here for a last loss line: it would move the
  // BatchNorm statistics away from the snapshot just written.
  if (param_.test_interval() && iter_ % param_.test_interval() == 0) test_all();
  LOG(INFO) << "Optimization Done.";
}

void Solver::step(int iters) {
  const int start_iter = iter_;
  const int stop_iter = iter_ + iters;
  recent_losses_.clear();
  float smoothed_loss = 0;
  auto display_start = std::chrono::steady_clock::now();
  int iters_since_display = 0;
  while (iter_ < stop_iter) {
    if (param_.test_interval() && iter_ % param_.test_interval() == 0 && (iter_ > 0 || param_.test_initialization())) {
      test_all();
    }
    if (stop_requested_ && stop_requested_()) {
      LOG(INFO) << "Stop requested at iteration " << iter_ << "; snapshotting";
      snapshot();
      return;
    }
    if (snapshot_requested_ && snapshot_requested_()) {
      LOG(INFO) << "Snapshot requested at iteration " << iter_;
      snapshot();
    }
    const bool display_now = param_.display() && iter_ % param_.display() == 0;
    if (gradient_clearing_skipped_.empty()) {
      net_->clear_param_diffs();
    } else {
      const auto& params = net_->learnable_params();
      for (size_t i = 0; i < params.size(); ++i) {
        if (!gradient_clearing_skipped_[i]) params[i]->set_diff(0.f);
      }
    }
    float loss = 0;
    for (int i = 0; i < param_.iter_size(); ++i) {
      loss += net_->forward();
      if (i + 1 < param_.iter_size()) {
        net_->backward();
      } else {
        backward_notifying();
      }
    }
    loss /= param_.iter_size();
    // Smoothed over the last average_loss iterations, as Caffe displays it.
    const int window = param_.average_loss();
    if ((int)recent_losses_.size() < window) {
      recent_losses_.push_back(loss);
      smoothed_loss = (smoothed_loss * (recent_losses_.size() - 1) + loss) / recent_losses_.size();
    } else {
      const int idx = (iter_ - start_iter) % window;
      smoothed_loss += (loss - recent_losses_[idx]) / window;
      recent_losses_[idx] = loss;
    }
    ++iters_since_display;
    if (display_now) {
      const auto now = std::chrono::steady_clock::now();
      const double seconds = std::chrono::duration<double>(now - display_start).count();
      display(smoothed_loss, seconds, iters_since_display);
      display_start = now;
      iters_since_display = 0;
    }
    for (const auto& callback : gradients_ready_callbacks_) callback();
    // Checked before the update and before ++iter_, so that no snapshot is ever taken of
    // non-finite weights and every earlier snapshot stays as it was.
    check_finite(loss, false);
    apply_update();
    check_finite(loss, true);
    ++iter_;
    // Before the last snapshot, so that the snapshot holds the recalibrated statistics.
    if (iter_ == param_.max_iter() && param_.batch_norm_recalibration_iter() > 0) recalibrate_at_end();
    if (param_.snapshot() && iter_ % param_.snapshot() == 0) snapshot();
  }
}

void Solver::add_gradient_ready_callback(std::function<void(int param_id)> callback) {
  gradient_ready_callbacks_.push_back(std::move(callback));
}

void Solver::add_gradients_ready_callback(std::function<void()> callback) {
  gradients_ready_callbacks_.push_back(std::move(callback));
}

void Solver::skip_gradient_clearing(int param_id) {
  const size_t count = net_->learnable_params().size();
  HWGQ_REQUIRE(param_id >= 0 && static_cast<size_t>(param_id) < count,
               "skip_gradient_clearing: no learnable parameter " << param_id << " (the net has " << count << ")");
  gradient_clearing_skipped_.resize(count, false);
  gradient_clearing_skipped_[param_id] = true;
}

void Solver::backward_notifying() {
  if (gradient_ready_callbacks_.empty()) return net_->backward();
  if (params_owned_by_layer_.empty()) {
    // A parameter belongs to the layer whose blob is the learnable one itself; layers that
    // share it hold their own Blob viewing the same buffers.
    const auto& params = net_->learnable_params();
    params_owned_by_layer_.resize(net_->layers().size());
    for (size_t layer = 0; layer < net_->layers().size(); ++layer) {
      for (const auto& blob : net_->layers()[layer]->blobs()) {
        const auto found = std::find(params.begin(), params.end(), blob.get());
        if (found != params.end()) params_owned_by_layer_[layer].push_back(static_cast<int>(found - params.begin()));
      }
    }
  }
  net_->backward([this](int layer) {
    for (int param_id : params_owned_by_layer_[layer]) {
      for (const auto& callback : gradient_ready_callbacks_) callback(param_id);
    }
  });
}

void Solver::recalibrate_at_end() {
  // The score with the moving-average statistics goes into the log as well, so that what
  // recalibration changed can be seen.
  if (param_.test_interval() && iter_ % param_.test_interval() == 0 && !test_nets_.empty()) {
    LOG(INFO) << "Iteration " << iter_ << ", testing with the moving-average BatchNorm statistics";
    test_all();
  }
  recalibrate_batch_norm(*net_, param_.batch_norm_recalibration_iter());
}

void Solver::display(float smoothed_loss, double seconds, int iters) {
  std::ostringstream rate;
  if (iters > 1 || iter_ > 0) {
    const double per_iter = seconds / std::max(iters, 1);
    rate << " (" << std::setprecision(4) << (per_iter > 0 ? 1.0 / per_iter : 0.0) << " iter/s, " << seconds << "s/"
         << iters << " iters)";
  }
  LOG(INFO) << "Iteration " << iter_ << rate.str() << ", loss = " << smoothed_loss;
  TrainingRecord record;
  record.phase = TrainingRecord::Phase::kTrain;
  record.iteration = iter_;
  record.smoothed_loss = smoothed_loss;
  record.images_per_iteration = images_per_iteration();
  const auto& outputs = net_->output_blobs();
  int score_index = 0;
  for (size_t j = 0; j < outputs.size(); ++j) {
    const float* data = outputs[j]->cpu_data();
    const float weight = net_->output_loss_weights()[j];
    for (int k = 0; k < outputs[j]->count(); ++k) {
      std::ostringstream line;
      line << "    Train net output #" << score_index++ << ": " << net_->output_blob_names()[j] << " = " << data[k];
      if (weight != 0.f) line << " (* " << weight << " = " << weight * data[k] << " loss)";
      LOG(INFO) << line.str();
      record.outputs.emplace_back(output_value_name(net_->output_blob_names()[j], k, outputs[j]->count()), data[k]);
    }
  }
  int step = current_step_;
  record.learning_rate = learning_rate_at(param_, iter_, &step);
  LOG(INFO) << "Iteration " << iter_ << ", lr = " << record.learning_rate;
  if (iters > 0 && seconds > 0 && iter_ > 0) {
    const double iter_per_s = iters / seconds;
    const int remaining = param_.max_iter() - iter_;
    LOG(INFO) << "Progress: iteration " << iter_ << "/" << param_.max_iter() << ", " << std::fixed
              << std::setprecision(1) << images_per_iteration() * iter_per_s << " images/s, ETA "
              << format_duration(remaining / iter_per_s);
    record.images_per_second = images_per_iteration() * iter_per_s;
  }
  emit_record(std::move(record));
}

void Solver::emit_record(TrainingRecord record) {
  record.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - created_).count();
  for (const auto& callback : record_callbacks_) callback(record);
}

void Solver::add_record_callback(std::function<void(const TrainingRecord&)> callback) {
  record_callbacks_.push_back(std::move(callback));
}

std::vector<std::pair<std::string, float>> Solver::test_all() {
  std::vector<std::pair<std::string, float>> first;
  for (size_t i = 0; i < test_nets_.size(); ++i) {
    auto result = test(static_cast<int>(i));
    if (i == 0) first = result;
  }
  return first;
}

std::vector<std::pair<std::string, float>> Solver::test(int test_net_id) {
  LOG(INFO) << "Iteration " << iter_ << ", Testing net (#" << test_net_id << ")";
  if (before_test_) before_test_();
  Net& test_net = *test_nets_[test_net_id];
  std::vector<double> scores;
  std::vector<std::string> names;
  std::vector<std::string> output_names;
  std::vector<float> weights;
  const int iterations = param_.test_iter(test_net_id);
  for (int it = 0; it < iterations; ++it) {
    test_net.forward();
    int index = 0;
    for (size_t j = 0; j < test_net.output_blobs().size(); ++j) {
      const Blob* blob = test_net.output_blobs()[j];
      for (int k = 0; k < blob->count(); ++k, ++index) {
        if (it == 0) {
          scores.push_back(0);
          names.push_back(test_net.output_blob_names()[j]);
          output_names.push_back(output_value_name(test_net.output_blob_names()[j], k, blob->count()));
          weights.push_back(test_net.output_loss_weights()[j]);
        }
        scores[index] += blob->cpu_data()[k];
      }
    }
  }
  for (double& score : scores) score /= iterations;
  if (test_output_reducer_) test_output_reducer_(&scores);
  std::vector<std::pair<std::string, float>> result;
  TrainingRecord record;
  record.phase = TrainingRecord::Phase::kTest;
  record.iteration = iter_;
  record.test_net = test_net_id;
  int step = current_step_;
  record.learning_rate = learning_rate_at(param_, iter_, &step);
  record.images_per_iteration = images_per_iteration();
  for (size_t i = 0; i < scores.size(); ++i) {
    const float mean = static_cast<float>(scores[i]);
    std::ostringstream line;
    line << "    Test net output #" << i << ": " << names[i] << " = " << mean;
    if (weights[i] != 0.f) line << " (* " << weights[i] << " = " << weights[i] * mean << " loss)";
    LOG(INFO) << line.str();
    result.emplace_back(names[i], mean);
    record.outputs.emplace_back(output_names[i], mean);
  }
  emit_record(std::move(record));
  return result;
}

float Solver::weight_decay_of(int param_id) const {
  return param_.weight_decay() * net_->params_weight_decay()[param_id];
}

void Solver::regularize(int param_id) {
  Blob* param = net_->learnable_params()[param_id];
  const float decay = weight_decay_of(param_id);
  if (decay == 0.f) return;
#ifdef HWGQ_WITH_CUDA
  if (on_gpu()) {
    if (param_.regularization_type() == "L2") {
      gpu_axpy(param->count(), decay, param->gpu_data(), param->mutable_gpu_diff());
    } else {
      gpu_l1_regularize(param->count(), decay, param->gpu_data(), param->mutable_gpu_diff());
    }
    return;
  }
#endif
  if (param_.regularization_type() == "L2") {
    axpy(param->count(), decay, param->cpu_data(), param->mutable_cpu_diff());
  } else {
    const float* data = param->cpu_data();
    float* diff = param->mutable_cpu_diff();
    for (int i = 0; i < param->count(); ++i) diff[i] += decay * float((data[i] > 0) - (data[i] < 0));
  }
}

void Solver::clip_gradients() {
  const float threshold = param_.clip_gradients();
  if (threshold < 0) return;
  double sumsq = 0;
  for (Blob* p : net_->learnable_params()) sumsq += p->sumsq_diff();
  const double norm = std::sqrt(sumsq);
  if (norm > threshold) {
    const float factor = static_cast<float>(threshold / norm);
    LOG(INFO) << "Gradient clipping: scaling down gradients (L2 norm " << norm << " > " << threshold << ") by "
              << factor;
    for (Blob* p : net_->learnable_params()) p->scale_diff(factor);
  }
}

void Solver::apply_update() {
  init_history();
  const float rate = learning_rate_at(param_, iter_, &current_step_);
  clip_gradients();
  const auto& params = net_->learnable_params();
  for (size_t i = 0; i < params.size(); ++i) {
    if (fused_update(static_cast<int>(i), rate)) continue;
    if (param_.iter_size() > 1) params[i]->scale_diff(1.f / param_.iter_size());
    regularize(static_cast<int>(i));
    compute_update_value(static_cast<int>(i), rate);
    // data -= step, as Net::update() does for every parameter.
#ifdef HWGQ_WITH_CUDA
    if (on_gpu()) {
      gpu_axpy(params[i]->count(), -1.f, params[i]->gpu_diff(), params[i]->mutable_gpu_data());
      continue;
    }
#endif
    axpy(params[i]->count(), -1.f, params[i]->cpu_diff(), params[i]->mutable_cpu_data());
  }
}

void SGDSolver::compute_update_value(int param_id, float rate) {
  Blob* param = net_->learnable_params()[param_id];
  Blob* history = history_[param_id].get();
  const float local_rate = rate * net_->params_lr()[param_id];
#ifdef HWGQ_WITH_CUDA
  if (on_gpu()) {
    return gpu_sgd_update(param->count(), local_rate, param_.momentum(), param->mutable_gpu_diff(),
                          history->mutable_gpu_data());
  }
#endif
  // history = momentum * history + lr * grad; the step is the new history.
  axpby(param->count(), local_rate, param->cpu_diff(), param_.momentum(), history->mutable_cpu_data());
  copy(param->count(), history->cpu_data(), param->mutable_cpu_diff());
}

bool SGDSolver::fused_update(int param_id, float rate) {
  if (on_gpu() || param_.regularization_type() != "L2") return false;
  Blob* param = net_->learnable_params()[param_id];
  sgd_momentum_step(param->count(), rate * net_->params_lr()[param_id], param_.momentum(), weight_decay_of(param_id),
                    1.f / param_.iter_size(), param->mutable_cpu_data(), param->mutable_cpu_diff(),
                    history_[param_id]->mutable_cpu_data());
  return true;
}

void NesterovSolver::compute_update_value(int param_id, float rate) {
  Blob* param = net_->learnable_params()[param_id];
  Blob* history = history_[param_id].get();
  const float local_rate = rate * net_->params_lr()[param_id];
  const float momentum = param_.momentum();
  const int n = param->count();
#ifdef HWGQ_WITH_CUDA
  if (on_gpu()) return gpu_nesterov_update(n, local_rate, momentum, param->mutable_gpu_diff(), history->mutable_gpu_data());
#endif
  float* h = history->mutable_cpu_data();
  float* diff = param->mutable_cpu_diff();
  // step = (1 + m) * h_new - m * h_old, with h_new = m * h_old + lr * grad.
  for (int i = 0; i < n; ++i) {
    const float previous = h[i];
    h[i] = momentum * previous + local_rate * diff[i];
    diff[i] = (1.f + momentum) * h[i] - momentum * previous;
  }
}

void AdamSolver::compute_update_value(int param_id, float rate) {
  Blob* param = net_->learnable_params()[param_id];
  const int num_params = static_cast<int>(net_->learnable_params().size());
  const float local_rate = rate * net_->params_lr()[param_id];
  const float beta1 = param_.momentum();
  const float beta2 = param_.momentum2();
  const float eps = param_.delta();
  const int t = iter_ + 1;
  const float correction = std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
#ifdef HWGQ_WITH_CUDA
  if (on_gpu()) {
    return gpu_adam_update(param->count(), local_rate * correction, beta1, beta2, eps, param->mutable_gpu_diff(),
                           history_[param_id]->mutable_gpu_data(),
                           history_[param_id + num_params]->mutable_gpu_data());
  }
#endif
  float* m = history_[param_id]->mutable_cpu_data();
  float* v = history_[param_id + num_params]->mutable_cpu_data();
  float* diff = param->mutable_cpu_diff();
  for (int i = 0; i < param->count(); ++i) {
    const float g = diff[i];
    m[i] = beta1 * m[i] + (1.f - beta1) * g;
    v[i] = beta2 * v[i] + (1.f - beta2) * g * g;
    diff[i] = local_rate * correction * m[i] / (std::sqrt(v[i]) + eps);
  }
}

std::string Solver::snapshot_prefix() const {
  std::string prefix = param_.snapshot_prefix();
  if (prefix.empty()) {
    prefix = origin_;
    const auto dot = prefix.rfind('.');
    if (dot != std::string::npos && dot > prefix.rfind('/') + 1) prefix = prefix.substr(0, dot);
  }
  return prefix;
}

void Solver::remove_orphaned_temporaries() const {
  if (!primary_) return;
  const std::filesystem::path prefix(snapshot_prefix());
  const std::filesystem::path folder = prefix.parent_path().empty() ? "." : prefix.parent_path();
  const std::string stem = prefix.filename().string() + "_iter_";
  std::error_code ec;
  std::filesystem::directory_iterator entries(folder, ec);
  if (ec) return;  // no folder yet: nothing left behind
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    const auto marker = name.rfind(".tmp.");
    if (name.compare(0, stem.size(), stem) != 0 || marker == std::string::npos) continue;
    const std::string pid_text = name.substr(marker + 5);
    if (pid_text.empty() || pid_text.size() > 9 ||
        pid_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    // A live writer (another run with the same prefix) keeps its file; ESRCH means the
    // process that wrote it is gone and the file can never be completed.
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::filesystem::remove(entry.path(), ec);
    if (!ec) LOG(INFO) << "Removed " << entry.path().string() << ", left by process " << pid << " which has ended";
  }
}

void Solver::check_finite(float loss, bool after_update) {
  if (!after_update && !std::isfinite(loss)) {
    HWGQ_FAIL("iteration " << iter_ << ": the loss is " << loss << first_nonfinite_layer()
                           << "; training stopped (no snapshot of this iteration was written)");
  }
  // A sum of absolute values is NaN or infinite exactly when some element is (summed in
  // double, finite floats cannot overflow it): one pass per blob instead of a test per element.
  const auto& params = net_->learnable_params();
  for (size_t i = 0; i < params.size(); ++i) {
    double sum;
#ifdef HWGQ_WITH_CUDA
    // On the device, so that the check copies nothing to the host.
    if (on_gpu()) {
      const Blob& p = *params[i];
      sum = gpu_asum(p.count(), after_update ? p.gpu_data() : p.gpu_diff());
    } else
#endif
    {
      sum = after_update ? params[i]->asum_data() : params[i]->asum_diff();
    }
    if (std::isfinite(sum)) continue;
    HWGQ_FAIL("iteration " << iter_ << ": " << (after_update ? "the updated weights" : "the gradient") << " of "
                           << net_->learnable_param_names()[i] << " hold NaN or Inf" << first_nonfinite_layer()
                           << "; training stopped (no snapshot of this iteration was written)");
  }
}

std::string Solver::first_nonfinite_layer() const {
  if (!debug_nonfinite_) return "";
  const auto& layers = net_->layers();
  const auto name = [&](size_t i) {
    return "layer \"" + net_->layer_names()[i] + "\" (" + layers[i]->type() + ")";
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t t = 0; t < net_->top_vecs(i).size(); ++t) {
      if (!std::isfinite(net_->top_vecs(i)[t]->asum_data())) {
        return " (first non-finite output: " + name(i) + ", top " + std::to_string(t) + ")";
      }
    }
  }
  for (size_t i = layers.size(); i-- > 0;) {
    for (size_t b = 0; b < layers[i]->blobs().size(); ++b) {
      if (!std::isfinite(layers[i]->blobs()[b]->asum_diff())) {
        return " (first non-finite gradient: " + name(i) + ", parameter " + std::to_string(b) + ")";
      }
    }
    for (size_t b = 0; b < net_->bottom_vecs(i).size(); ++b) {
      if (!std::isfinite(net_->bottom_vecs(i)[b]->asum_diff())) {
        return " (first non-finite gradient: " + name(i) + ", bottom " + std::to_string(b) + ")";
      }
    }
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t b = 0; b < layers[i]->blobs().size(); ++b) {
      if (!std::isfinite(layers[i]->blobs()[b]->asum_data())) {
        return " (first non-finite weights: " + name(i) + ", parameter " + std::to_string(b) + ")";
      }
    }
  }
  return " (no layer output or gradient is non-finite)";
}

std::string Solver::snapshot() {
  const std::string prefix = snapshot_prefix();
  if (!primary_) return prefix + "_iter_" + std::to_string(iter_) + ".caffemodel";
  const std::filesystem::path folder = std::filesystem::path(prefix).parent_path();
  if (!folder.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    HWGQ_REQUIRE(!ec, "cannot create the snapshot folder " << folder.string() << ": " << ec.message());
  }
  const std::string base = prefix + "_iter_" + std::to_string(iter_);
  const std::string model_path = base + ".caffemodel";
  const std::string state_path = base + ".solverstate";

  NetParameter weights;
  net_->to_proto(&weights, param_.snapshot_diff());
  LOG(INFO) << "Snapshotting to binary proto file " << model_path;
  write_binary_proto(weights, model_path);

  init_history();
  SolverState state;
  state.set_iter(iter_);
  state.set_learned_net(model_path);
  state.set_current_step(current_step_);
  for (const auto& h : history_) h->to_proto(state.add_history());
  std::ostringstream rng;
  rng << Context::get().rng();
  state.set_rng_state(rng.str());
  for (const auto& layer : net_->layers()) {
    std::string layer_state = layer->save_state();
    if (layer_state.empty()) continue;
    LayerState* entry = state.add_layer_state();
    entry->set_layer(layer->name());
    entry->set_state(layer_state);
  }
  LOG(INFO) << "Snapshotting solver state to binary proto file " << state_path;
  write_binary_proto(state, state_path);
  return model_path;
}

void Solver::restore(const std::string& state_path) {
  SolverState state;
  read_binary_proto(state_path, &state);
  std::string learned = state.learned_net();
  if (!learned.empty()) {
    if (!file_exists(learned)) {
      // Snapshots moved together with their .solverstate are found beside it.
      const auto slash = state_path.rfind('/');
      const std::string dir = slash == std::string::npos ? "" : state_path.substr(0, slash + 1);
      const auto learned_slash = learned.rfind('/');
      const std::string beside = dir + (learned_slash == std::string::npos ? learned : learned.substr(learned_slash + 1));
      HWGQ_REQUIRE(file_exists(beside), state_path << " refers to weights " << learned << ", which do not exist");
      learned = beside;
    }
    net_->copy_trained_layers_from(learned);
  }
  iter_ = state.iter();
  current_step_ = state.current_step();
  init_history();
  HWGQ_REQUIRE(state.history_size() == (int)history_.size(),
               state_path << " holds " << state.history_size() << " history blobs but this solver ("
                          << solver_type(param_) << ") on this net needs " << history_.size());
  for (size_t i = 0; i < history_.size(); ++i) {
    try {
      history_[i]->from_proto(state.history(i), false);
    } catch (const Error& error) {
      HWGQ_FAIL(state_path << ": history blob " << i << " (" << net_->learnable_param_names()[i % net_->learnable_params().size()]
                           << "): " << error.what());
    }
  }
  if (state.has_rng_state()) {
    std::istringstream rng(state.rng_state());
    rng >> Context::get().rng();
  }
  for (const auto& entry : state.layer_state()) {
    if (net_->has_layer(entry.layer())) net_->layer_by_name(entry.layer())->restore_state(entry.state());
  }
}

std::unique_ptr<Solver> create_solver(const SolverParameter& param, const std::string& origin) {
  validate_solver(param, origin);
  const std::string type = solver_type(param);
  if (type == "Nesterov") return std::make_unique<NesterovSolver>(param, origin);
  if (type == "Adam") return std::make_unique<AdamSolver>(param, origin);
  return std::make_unique<SGDSolver>(param, origin);
}

std::unique_ptr<Solver> create_solver(const std::string& solver_path) {
  SolverParameter param;
  read_text_proto(solver_path, &param);
  return create_solver(param, solver_path);
}

}  // namespace hwgq
