#include "factor_gradient_exchange.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <sstream>

#include "hwgq/layers/inner_product_layer.hpp"
#include "hwgq/math/blas.hpp"

namespace hwgq::parallel {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Why the run as a whole cannot use factors; empty when it can.
std::string why_not_at_all(const Solver& solver) {
  if (Context::get().mode() == Mode::GPU) return "the run is on the GPU";
  if (solver.param().iter_size() > 1) return "iter_size is " + std::to_string(solver.param().iter_size());
  return {};
}

}  // namespace

FactorExchangeMode parse_factor_exchange_mode(const std::string& text) {
  if (text == "auto") return FactorExchangeMode::Auto;
  if (text == "factors") return FactorExchangeMode::Factors;
  if (text == "gradients") return FactorExchangeMode::Gradients;
  HWGQ_FAIL("unknown fully connected gradient exchange \"" << text << "\": choose auto, factors or gradients");
}

std::unique_ptr<FactorGradientExchange> FactorGradientExchange::create(const MpiWorld& world, Solver* solver,
                                                                       FactorExchangeMode mode) {
  if (mode == FactorExchangeMode::Gradients) return nullptr;
  const std::string why = why_not_at_all(*solver);
  if (!why.empty()) {
    if (mode == FactorExchangeMode::Factors) {
      world.abort("fully connected gradients cannot be exchanged as factors: " + why);
    }
    return nullptr;
  }
  Net& net = solver->net();
  const auto& params = net.learnable_params();
  const int64_t ranks = world.size();
  std::vector<Target> targets;
  for (size_t l = 0; l < net.layers().size(); ++l) {
    auto* fc = dynamic_cast<InnerProductLayer*>(net.layers()[l].get());
    if (!fc || !fc->param_propagate_down(0)) continue;
    // Shared weights collect gradients from several layers; they stay with the reducer.
    const LayerParameter& lp = fc->layer_param();
    if (lp.param_size() > 0 && !lp.param(0).name().empty()) continue;
    const auto found = std::find(params.begin(), params.end(), fc->blobs()[0].get());
    if (found == params.end()) continue;
    Target t;
    t.layer = static_cast<int>(l);
    t.weights = static_cast<int>(found - params.begin());
    t.inputs = fc->input_size();
    t.outputs = fc->num_output();
    t.rows = static_cast<int>(net.bottom_vecs(t.layer)[0]->count() / t.inputs);
    t.transposed = fc->transposed();
    const int64_t gathered = ranks * t.rows * (static_cast<int64_t>(t.inputs) + t.outputs);
    const int64_t gradient = static_cast<int64_t>(t.inputs) * t.outputs;
    if (mode == FactorExchangeMode::Auto && gathered * 16 > gradient) continue;
    targets.push_back(t);
  }
  if (targets.empty()) return nullptr;
  return std::unique_ptr<FactorGradientExchange>(new FactorGradientExchange(world, solver, std::move(targets)));
}

FactorGradientExchange::FactorGradientExchange(const MpiWorld& world, Solver* solver, std::vector<Target> targets)
    : world_(world), solver_(solver), targets_(std::move(targets)) {
  Net& net = solver_->net();
  const size_t param_count = net.learnable_params().size();
  target_of_param_.assign(param_count, -1);
  handled_.assign(param_count, false);
  for (size_t i = 0; i < targets_.size(); ++i) {
    const Target& t = targets_[i];
    target_of_param_[t.weights] = static_cast<int>(i);
    handled_[t.weights] = true;
    net.layers()[t.layer]->set_param_propagate_down(0, false);
    solver_->skip_gradient_clearing(t.weights);  // finish() writes the whole gradient
    floats_per_iteration_ += static_cast<int64_t>(world_.size()) * t.rows * (t.inputs + t.outputs);
  }
  // A communicator of its own: its gathers never pair up with the reducer's collectives.
  MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
  solver_->add_gradient_ready_callback([this](int param_id) { on_gradient_ready(param_id); });
  solver_->add_gradients_ready_callback([this] { on_gradients_ready(); });
}

FactorGradientExchange::~FactorGradientExchange() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

std::string FactorGradientExchange::describe() const {
  std::ostringstream out;
  for (size_t i = 0; i < targets_.size(); ++i) {
    const Target& t = targets_[i];
    out << (i ? ", " : "") << solver_->net().layer_names()[t.layer] << " (" << t.inputs << " -> " << t.outputs << ")";
  }
  return out.str();
}

void FactorGradientExchange::on_gradient_ready(int param_id) {
  const double start = now_seconds();
  // Open MPI moves a non-blocking collective forward only inside MPI calls; every gradient
  // that becomes ready is a chance to, while backward goes on.
  for (Target& t : targets_) {
    if (t.pending) {
      for (MPI_Request& request : t.requests) MpiWorld::test(&request);
    }
  }
  const int target = target_of_param_[param_id];
  if (target >= 0) start_gathers(&targets_[target]);
  seconds_ += now_seconds() - start;
}

void FactorGradientExchange::on_gradients_ready() {
  const double start = now_seconds();
  for (Target& t : targets_) {
    if (t.pending) finish(&t);
  }
  seconds_ += now_seconds() - start;
}

void FactorGradientExchange::start_gathers(Target* t) {
  Net& net = solver_->net();
  const Blob* bottom = net.bottom_vecs(t->layer)[0];
  const Blob* top = net.top_vecs(t->layer)[0];
  const int64_t rows = bottom->count() / t->inputs;
  HWGQ_REQUIRE(rows == t->rows, "layer \"" << net.layer_names()[t->layer] << "\" changed its batch from " << t->rows
                                           << " to " << rows << " rows; its gradient factors were sized for "
                                           << t->rows);
  const int ranks = world_.size();
  const int64_t x_count = rows * t->inputs;
  const int64_t dy_count = rows * t->outputs;
  CHECK_LE(std::max(x_count, dy_count), static_cast<int64_t>(std::numeric_limits<int>::max()));
  // The gathers run on while backward goes on, and a send buffer must stay as it is until
  // they end: the layer's own blobs may be rewritten by then (in-place layers, shared
  // storage), so the factors are sent from a copy.
  t->mine.resize(static_cast<size_t>(x_count + dy_count));
  std::copy_n(bottom->cpu_data(), x_count, t->mine.data());
  std::copy_n(top->cpu_diff(), dy_count, t->mine.data() + x_count);
  t->all.resize(static_cast<size_t>(ranks) * (x_count + dy_count));
  MPI_Iallgather(t->mine.data(), static_cast<int>(x_count), MPI_FLOAT, t->all.data(), static_cast<int>(x_count),
                 MPI_FLOAT, comm_, &t->requests[0]);
  MPI_Iallgather(t->mine.data() + x_count, static_cast<int>(dy_count), MPI_FLOAT, t->all.data() + ranks * x_count,
                 static_cast<int>(dy_count), MPI_FLOAT, comm_, &t->requests[1]);
  t->pending = true;
}

void FactorGradientExchange::finish(Target* t) {
  for (MPI_Request& request : t->requests) world_.wait(&request, "the exchange of fully connected gradient factors");
  t->pending = false;
  // dW = (1/N) dY^T X over every rank's rows (the header says why).
  const int ranks = world_.size();
  const float* x_all = t->all.data();
  const float* dy_all = t->all.data() + static_cast<int64_t>(ranks) * t->rows * t->inputs;
  Blob* weights = solver_->net().learnable_params()[t->weights];
  const int all_rows = ranks * t->rows;
  const float scale = 1.f / static_cast<float>(ranks);
  if (t->transposed) {
    gemm(Trans::Yes, Trans::No, t->inputs, t->outputs, all_rows, scale, x_all, dy_all, 0.f, weights->mutable_cpu_diff());
  } else {
    gemm(Trans::Yes, Trans::No, t->outputs, t->inputs, all_rows, scale, dy_all, x_all, 0.f,
         weights->mutable_cpu_diff());
  }
}

}  // namespace hwgq::parallel
