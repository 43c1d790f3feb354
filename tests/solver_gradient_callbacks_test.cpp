// The solver's gradient hooks: when they run, in which order, and what the gradients hold.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "hwgq/solver.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

// ip1 (weights 0, bias 1) -> ReLU -> ip2 (weights 2, bias 3) -> loss. ip1's bias has
// lr_mult 0, so it gets no gradient, but it is still reported.
const char* const kChain = R"(
  layer { name: "input" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 6 dim: 4 } shape { dim: 6 } } }
  layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
          param { lr_mult: 1 } param { lr_mult: 0 }
          inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 }
                                bias_filler { type: "constant" value: 0.1 } } }
  layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" }
  layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" })";

// ipa and ipb share their weights "w" (parameter 0, owned by ipa, the first user); then
// ipa's bias is 1, ipb's bias 2, ipc's weights and bias 3 and 4.
const char* const kShared = R"(
  layer { name: "input" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 6 dim: 4 } shape { dim: 6 } } }
  layer { name: "ipa" type: "InnerProduct" bottom: "data" top: "ipa" param { name: "w" } param { }
          inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "ipb" type: "InnerProduct" bottom: "ipa" top: "ipb" param { name: "w" } param { }
          inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "ipc" type: "InnerProduct" bottom: "ipb" top: "ipc"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ipc" bottom: "label" top: "loss" })";

std::unique_ptr<Solver> make_solver(const char* net, int iter_size) {
  SolverParameter param =
      test::solver_from_text("base_lr: 0.1 lr_policy: 'fixed' momentum: 0 weight_decay: 0 max_iter: 10");
  *param.mutable_net_param() = test::net_from_text(net);
  param.set_iter_size(iter_size);
  param.set_random_seed(3);
  auto solver = create_solver(param, "callbacks.prototxt");
  test::fill_gaussian(solver->net().blob_by_name("data"), 8);
  Blob* label = solver->net().blob_by_name("label");
  for (int i = 0; i < label->count(); ++i) label->mutable_cpu_data()[i] = i % 3;
  return solver;
}

// What one iteration reported, in order: a parameter id, or -1 for "gradients ready".
struct Recorder {
  std::vector<int> events;
  // Per parameter, its values and gradient when it was reported.
  std::vector<std::vector<float>> data, diff;

  explicit Recorder(Solver& solver) {
    const auto& params = solver.net().learnable_params();
    data.resize(params.size());
    diff.resize(params.size());
    solver.add_gradient_ready_callback([this, &params](int id) {
      events.push_back(id);
      data[id].assign(params[id]->cpu_data(), params[id]->cpu_data() + params[id]->count());
      diff[id].assign(params[id]->cpu_diff(), params[id]->cpu_diff() + params[id]->count());
    });
    solver.add_gradients_ready_callback([this] { events.push_back(-1); });
  }
};

// Plain SGD without momentum or decay: the update is data -= 0.1 * diff / iter_size, so the
// values after the step show whether the reported gradient was the final one and whether
// the update came after the report.
void expect_update_used_reported_gradients(Solver& solver, const Recorder& recorder, int iter_size) {
  const auto& params = solver.net().learnable_params();
  for (size_t id = 0; id < params.size(); ++id) {
    const float lr_mult = solver.net().params_lr()[id];
    for (int i = 0; i < params[id]->count(); ++i) {
      const float expected = recorder.data[id][i] - 0.1f * lr_mult * recorder.diff[id][i] / iter_size;
      ASSERT_NEAR(params[id]->cpu_data()[i], expected, 1e-6f) << "parameter " << id << " element " << i;
    }
  }
}

TEST(SolverGradientCallbacks, OncePerParameterInBackwardOrderBeforeTheUpdate) {
  auto solver = make_solver(kChain, 1);
  Recorder recorder(*solver);
  for (int iteration = 0; iteration < 3; ++iteration) {
    recorder.events.clear();
    solver->step(1);
    EXPECT_EQ(recorder.events, (std::vector<int>{2, 3, 0, 1, -1})) << "iteration " << iteration;
    expect_update_used_reported_gradients(*solver, recorder, 1);
  }
  // The gradients were real: ip2's weights moved.
  double moved = 0;
  for (float g : recorder.diff[2]) moved += std::abs(g);
  EXPECT_GT(moved, 0.0);
}

TEST(SolverGradientCallbacks, IterSizeReportsTheAccumulatedGradientOnce) {
  auto single = make_solver(kChain, 1);
  auto accumulated = make_solver(kChain, 3);
  Recorder once(*single), thrice(*accumulated);
  single->step(1);
  accumulated->step(1);
  // Reported once per iteration, in the last pass; the same data three times gives three
  // times the gradient (divided by iter_size only in the update).
  EXPECT_EQ(thrice.events, (std::vector<int>{2, 3, 0, 1, -1}));
  for (int id : {0, 2, 3}) {
    for (size_t i = 0; i < once.diff[id].size(); ++i) {
      EXPECT_NEAR(thrice.diff[id][i], 3.f * once.diff[id][i], 1e-5f) << "parameter " << id;
    }
  }
  expect_update_used_reported_gradients(*accumulated, thrice, 3);
}

TEST(SolverGradientCallbacks, SharedParameterIsReportedAfterItsLastUser) {
  auto solver = make_solver(kShared, 1);
  ASSERT_EQ(solver->net().learnable_params().size(), 5u);
  Recorder recorder(*solver);
  solver->step(1);
  EXPECT_EQ(recorder.events, (std::vector<int>{3, 4, 2, 0, 1, -1}));
  expect_update_used_reported_gradients(*solver, recorder, 1);
}

TEST(SolverGradientCallbacks, NoCallbacksTrainsAsBefore) {
  auto plain = make_solver(kChain, 2);
  auto hooked = make_solver(kChain, 2);
  Recorder recorder(*hooked);
  plain->step(2);
  hooked->step(2);
  const auto& a = plain->net().learnable_params();
  const auto& b = hooked->net().learnable_params();
  for (size_t id = 0; id < a.size(); ++id) {
    for (int i = 0; i < a[id]->count(); ++i) ASSERT_EQ(a[id]->cpu_data()[i], b[id]->cpu_data()[i]);
  }
}

TEST(SolverGradientCallbacks, SkippedClearingLeavesTheGradientToTheCallback) {
  // ip2's weights (parameter 2): their layer computes no weight gradient, a gradients-ready
  // callback writes the whole of it. With the clearing skipped the callback finds last
  // iteration's step there (the update leaves the step in the gradient); the other
  // parameters are still zeroed and accumulated by their layers as before.
  for (const bool skip : {false, true}) {
    auto solver = make_solver(kChain, 1);
    const int weights = 2;
    solver->net().layer_by_name("ip2")->set_param_propagate_down(0, false);
    if (skip) solver->skip_gradient_clearing(weights);
    Blob* w = solver->net().learnable_params()[weights];
    std::vector<float> found;
    solver->add_gradients_ready_callback([&] {
      found.assign(w->cpu_diff(), w->cpu_diff() + w->count());
      for (int i = 0; i < w->count(); ++i) w->mutable_cpu_diff()[i] = 0.5f;
    });
    solver->step(1);
    for (float v : found) ASSERT_EQ(v, 0.f) << "the first iteration starts from zero (skip " << skip << ")";
    solver->step(1);
    // momentum 0, weight decay 0, lr 0.1: the step of a gradient of 0.5 is 0.05.
    for (float v : found) ASSERT_FLOAT_EQ(v, skip ? 0.05f : 0.f) << "skip " << skip;
  }
  auto solver = make_solver(kChain, 1);
  EXPECT_THROW(solver->skip_gradient_clearing(4), Error);
}

}  // namespace
}  // namespace hwgq
