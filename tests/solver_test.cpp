#include "hwgq/solver.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>

#include <sys/wait.h>
#include <unistd.h>

#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::solver_from_text;

SolverParameter policy(const std::string& text) {
  return solver_from_text("net: \"x\" base_lr: 0.1 max_iter: 100 " + text);
}

float lr(const SolverParameter& param, int iter) {
  int step = 0;
  return learning_rate_at(param, iter, &step);
}

TEST(LearningRate, EveryPolicyMatchesItsFormula) {
  EXPECT_FLOAT_EQ(lr(policy("lr_policy: 'fixed'"), 57), 0.1f);
  const auto step = policy("lr_policy: 'step' gamma: 0.5 stepsize: 10");
  EXPECT_FLOAT_EQ(lr(step, 9), 0.1f);
  EXPECT_FLOAT_EQ(lr(step, 10), 0.05f);
  EXPECT_FLOAT_EQ(lr(step, 35), 0.0125f);
  EXPECT_FLOAT_EQ(lr(policy("lr_policy: 'exp' gamma: 0.9"), 3), 0.1f * 0.729f);
  EXPECT_FLOAT_EQ(lr(policy("lr_policy: 'inv' gamma: 0.01 power: 0.75"), 20), 0.1f * std::pow(1.2f, -0.75f));
  const auto poly = policy("lr_policy: 'poly' power: 2");
  EXPECT_FLOAT_EQ(lr(poly, 0), 0.1f);
  EXPECT_FLOAT_EQ(lr(poly, 50), 0.025f);
  EXPECT_FLOAT_EQ(lr(poly, 100), 0.f);
  const auto sigmoid = policy("lr_policy: 'sigmoid' gamma: -0.5 stepsize: 40");
  EXPECT_FLOAT_EQ(lr(sigmoid, 40), 0.05f);
  EXPECT_FLOAT_EQ(lr(sigmoid, 42), 0.1f / (1.f + std::exp(1.f)));
  const auto multistep = policy("lr_policy: 'multistep' gamma: 0.1 stepvalue: 10 stepvalue: 30");
  int current = 0;
  EXPECT_FLOAT_EQ(learning_rate_at(multistep, 5, &current), 0.1f);
  EXPECT_FLOAT_EQ(learning_rate_at(multistep, 10, &current), 0.01f);
  EXPECT_FLOAT_EQ(learning_rate_at(multistep, 29, &current), 0.01f);
  EXPECT_FLOAT_EQ(learning_rate_at(multistep, 30, &current), 0.001f);
  EXPECT_EQ(current, 2);
}

const char* const kTinyNet = R"(
  layer { name: "input" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 8 dim: 4 } shape { dim: 8 } } }
  layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
          param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
          inner_product_param { num_output: 16 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" }
  layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
          inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" })";

std::unique_ptr<Solver> tiny_solver(const std::string& settings) {
  SolverParameter param = solver_from_text(settings);
  *param.mutable_net_param() = test::net_from_text(kTinyNet);
  param.set_random_seed(5);
  auto solver = create_solver(param, "tiny_solver.prototxt");
  Blob* data = solver->net().blob_by_name("data");
  for (int i = 0; i < data->count(); ++i) data->mutable_cpu_data()[i] = std::sin(1.3f * i);
  Blob* label = solver->net().blob_by_name("label");
  for (int i = 0; i < label->count(); ++i) label->mutable_cpu_data()[i] = (i * 5) % 3;
  return solver;
}

TEST(Solver, MomentumAndWeightDecayMatchAHandComputation) {
  auto solver = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 weight_decay: 0.01 max_iter: 10");
  Net& net = solver->net();
  Blob* w = net.layer_by_name("ip1")->blobs()[0].get();
  Blob* b = net.layer_by_name("ip1")->blobs()[1].get();
  b->set_data(0.5f);
  const float w0 = w->cpu_data()[3];
  const float b0 = b->cpu_data()[3];
  // Step 1: history = lr * (g + wd * w); w -= history. The bias has lr_mult 2, decay_mult 0.
  net.clear_param_diffs();
  w->mutable_cpu_diff()[3] = 0.2f;
  b->mutable_cpu_diff()[3] = -0.4f;
  solver->apply_update();
  const float hw1 = 0.1f * (0.2f + 0.01f * w0);
  const float hb1 = 0.2f * -0.4f;
  EXPECT_NEAR(w->cpu_data()[3], w0 - hw1, 1e-7);
  EXPECT_NEAR(b->cpu_data()[3], b0 - hb1, 1e-7);
  // Step 2: history = 0.9 * history + lr * (g + wd * w).
  const float w1 = w->cpu_data()[3];
  net.clear_param_diffs();
  w->mutable_cpu_diff()[3] = 0.1f;
  solver->apply_update();
  EXPECT_NEAR(w->cpu_data()[3], w1 - (0.9f * hw1 + 0.1f * (0.1f + 0.01f * w1)), 1e-7);
  EXPECT_NEAR(b->cpu_data()[3], b0 - hb1 - 0.9f * hb1, 1e-7);
}

TEST(Solver, NesterovAndAdamStepsMatchTheirFormulas) {
  auto nesterov = tiny_solver("type: 'Nesterov' base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 max_iter: 10");
  Blob* w = nesterov->net().layer_by_name("ip2")->blobs()[0].get();
  const float w0 = w->cpu_data()[0];
  nesterov->net().clear_param_diffs();
  w->mutable_cpu_diff()[0] = 0.5f;
  nesterov->apply_update();
  // h = 0.05; step = 1.9 * h - 0.9 * 0.
  EXPECT_NEAR(w->cpu_data()[0], w0 - 1.9f * 0.05f, 1e-7);

  auto adam = tiny_solver("type: 'Adam' base_lr: 0.01 lr_policy: 'fixed' momentum: 0.9 momentum2: 0.999 "
                          "delta: 1e-8 max_iter: 10");
  Blob* a = adam->net().layer_by_name("ip2")->blobs()[0].get();
  const float a0 = a->cpu_data()[0];
  adam->net().clear_param_diffs();
  a->mutable_cpu_diff()[0] = 0.5f;
  adam->apply_update();
  // m = 0.05, v = 0.00025, correction = sqrt(0.001) / 0.1: step = 0.01 * sign-like 1.0.
  const float m = 0.05f, v = 0.00025f, correction = std::sqrt(0.001f) / 0.1f;
  EXPECT_NEAR(a->cpu_data()[0], a0 - 0.01f * correction * m / (std::sqrt(v) + 1e-8f), 1e-6);
}

TEST(Solver, TinyNetOverfitsOneBatch) {
  auto solver = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 max_iter: 300");
  const float initial = solver->net().forward();
  solver->step(300);
  const float final_loss = solver->net().forward();
  EXPECT_GT(initial, 0.5f);
  EXPECT_LT(final_loss, 0.02f);
}

TEST(Solver, IterSizeAccumulatesAndNormalises) {
  // iter_size 2 over the same batch equals one iteration of iter_size 1.
  auto one = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 max_iter: 3");
  auto two = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 max_iter: 3 iter_size: 2");
  one->step(3);
  two->step(3);
  const Blob* w1 = one->net().layer_by_name("ip1")->blobs()[0].get();
  const Blob* w2 = two->net().layer_by_name("ip1")->blobs()[0].get();
  for (int i = 0; i < w1->count(); ++i) EXPECT_NEAR(w1->cpu_data()[i], w2->cpu_data()[i], 1e-6);
}

void expect_solver_error(const std::string& text, const std::string& expected) {
  try {
    validate_solver(solver_from_text(text), "s.prototxt");
    ADD_FAILURE() << "expected an error for: " << text;
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
  }
}

TEST(SolverErrors, InvalidSettingsAreClear) {
  expect_solver_error("base_lr: 0.1 lr_policy: 'fixed'", "names no net");
  expect_solver_error("net: 'n' base_lr: 0.1 lr_policy: 'cosine'", "unknown lr_policy \"cosine\"");
  expect_solver_error("net: 'n' base_lr: 0.1", "lr_policy is not set");
  expect_solver_error("net: 'n' base_lr: 0.1 lr_policy: 'step' gamma: 0.1", "positive stepsize");
  expect_solver_error("net: 'n' base_lr: 0.1 lr_policy: 'fixed' test_interval: 10", "test_iter is not");
  expect_solver_error("net: 'n' base_lr: 0.1 lr_policy: 'fixed' iter_size: 0", "iter_size");
  expect_solver_error("net: 'n' base_lr: 0.1 lr_policy: 'fixed' type: 'RMSProp'", "unknown solver type");
  expect_solver_error("net: 'n' base_lr: nan lr_policy: 'fixed'", "base_lr must be a finite number, got nan");
  expect_solver_error("net: 'n' base_lr: -0.1 lr_policy: 'fixed'", "base_lr must not be negative");
  expect_solver_error("net: 'n' lr_policy: 'fixed'", "base_lr is not set");
}

std::string error_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(NonFinite, NanLossStopsTheRunAndKeepsEarlierSnapshots) {
  test::TempDir dir;
  auto solver = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' max_iter: 5 snapshot: 1 snapshot_prefix: '" +
                            dir.file("run") + "'");
  solver->step(2);
  ASSERT_TRUE(file_exists(dir.file("run_iter_2.caffemodel")));
  const std::string before = read_file(dir.file("run_iter_2.caffemodel"));
  solver->net().layer_by_name("ip1")->blobs()[0]->mutable_cpu_data()[0] = std::nanf("");
  const std::string message = error_of([&] { solver->solve(); });
  EXPECT_NE(message.find("iteration 2: the loss is nan"), std::string::npos) << message;
  // Without --debug_nonfinite no layer search runs.
  EXPECT_EQ(message.find("first non-finite"), std::string::npos) << message;
  EXPECT_EQ(solver->iter(), 2);
  EXPECT_FALSE(file_exists(dir.file("run_iter_3.caffemodel")));
  EXPECT_FALSE(file_exists(dir.file("run_iter_3.solverstate")));
  EXPECT_TRUE(file_exists(dir.file("run_iter_1.caffemodel")));
  EXPECT_EQ(read_file(dir.file("run_iter_2.caffemodel")), before);
}

TEST(NonFinite, DebugNamesTheFirstLayerWhoseOutputWentNonFinite) {
  auto solver = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' max_iter: 5 snapshot_after_train: false");
  solver->set_debug_nonfinite(true);
  // ip2's weights: the input and ip1's output stay finite, ip2's output does not.
  solver->net().layer_by_name("ip2")->blobs()[0]->mutable_cpu_data()[1] = INFINITY;
  const std::string message = error_of([&] { solver->step(1); });
  EXPECT_NE(message.find("iteration 0"), std::string::npos) << message;
  EXPECT_NE(message.find("first non-finite output: layer \"ip2\" (InnerProduct)"), std::string::npos) << message;
}

TEST(NonFinite, OverflowingUpdateIsCaughtBeforeTheNextIteration) {
  // A finite loss and gradient, but a learning rate that takes the weights to infinity
  // (the bias's lr_mult 2 makes its rate 6e38, beyond the largest float).
  auto solver = tiny_solver("base_lr: 3e38 lr_policy: 'fixed' max_iter: 5 snapshot_after_train: false");
  const std::string message = error_of([&] { solver->step(1); });
  EXPECT_NE(message.find("iteration 0: the updated weights of ip"), std::string::npos) << message;
  EXPECT_NE(message.find("hold NaN or Inf"), std::string::npos) << message;
}

TEST(Snapshot, MaxIterZeroWritesTheInitialWeights) {
  test::TempDir dir;
  auto solver = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' max_iter: 0 snapshot_prefix: '" + dir.file("run") + "'");
  solver->solve();
  ASSERT_TRUE(file_exists(dir.file("run_iter_0.caffemodel")));
  EXPECT_TRUE(file_exists(dir.file("run_iter_0.solverstate")));
  NetParameter saved;
  read_binary_proto(dir.file("run_iter_0.caffemodel"), &saved);
  const Blob* w = solver->net().layer_by_name("ip1")->blobs()[0].get();
  for (const auto& layer : saved.layer()) {
    if (layer.name() == "ip1") {
      EXPECT_FLOAT_EQ(layer.blobs(0).data(3), w->cpu_data()[3]);
    }
  }
}

TEST(Snapshot, TemporariesOfEndedProcessesAreRemoved) {
  test::TempDir dir;
  // A process that has ended (and been reaped): its pid names no live process.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = std::to_string(child);
  const std::string live = std::to_string(::getpid());
  write_file_atomic(dir.file("run_iter_7.caffemodel.tmp." + dead), "partial");
  write_file_atomic(dir.file("run_iter_7.solverstate.tmp." + live), "being written");
  write_file_atomic(dir.file("other_iter_7.caffemodel.tmp." + dead), "another prefix");
  auto solver = tiny_solver("base_lr: 0.1 lr_policy: 'fixed' max_iter: 0 snapshot_prefix: '" + dir.file("run") + "'");
  solver->solve();
  EXPECT_FALSE(file_exists(dir.file("run_iter_7.caffemodel.tmp." + dead)));
  EXPECT_TRUE(file_exists(dir.file("run_iter_7.solverstate.tmp." + live)));
  EXPECT_TRUE(file_exists(dir.file("other_iter_7.caffemodel.tmp." + dead)));
}

std::string resume_net(const test::TempDir& dir) {
  return R"(
    layer { name: "data" type: "IdxData" top: "data" top: "label"
            idx_data_param { images: ")" + dir.file("images.idx") + R"(" labels: ")" + dir.file("labels.idx") + R"("
                             batch_size: 8 scale: 0.0039 } }
    layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
            inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
    layer { name: "bn" type: "BatchNorm" bottom: "ip1" top: "ip1"
            param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 } }
    layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" }
    layer { name: "drop" type: "Dropout" bottom: "ip1" top: "ip1" dropout_param { dropout_ratio: 0.3 } }
    layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
            inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
    layer { name: "acc" type: "Accuracy" bottom: "ip2" bottom: "label" top: "acc" include { phase: TEST } }
    layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" })";
}

std::vector<std::vector<float>> weights_of(Solver& solver) {
  std::vector<std::vector<float>> weights;
  for (const Blob* p : solver.net().learnable_params()) weights.emplace_back(p->cpu_data(), p->cpu_data() + p->count());
  return weights;
}

TEST(Snapshot, ResumedRunEqualsUninterruptedRunBitForBit) {
  test::TempDir dir;
  // 50 samples at batch 8: epochs end mid-batch, and the resume point (iteration 9) is
  // in the second epoch.
  test::write_idx_pair(dir.file("images.idx"), dir.file("labels.idx"), 50, 6, 6, 3);
  SolverParameter param = solver_from_text(
      "base_lr: 0.05 lr_policy: 'step' gamma: 0.5 stepsize: 7 momentum: 0.9 weight_decay: 0.001 max_iter: 20 "
      "test_iter: 2 test_interval: 5 display: 4 random_seed: 7 snapshot_after_train: false");
  *param.mutable_net_param() = test::net_from_text(resume_net(dir));
  param.set_snapshot_prefix(dir.file("run"));

  auto uninterrupted = create_solver(param, "resume.prototxt");
  uninterrupted->solve();
  ASSERT_EQ(uninterrupted->iter(), 20);
  const auto expected = weights_of(*uninterrupted);

  std::string state;
  {
    auto first_half = create_solver(param, "resume.prototxt");
    first_half->step(9);
    state = first_half->snapshot();
    state.replace(state.size() - std::string(".caffemodel").size(), std::string::npos, ".solverstate");
  }
  Context::get().set_random_seed(12345);  // the new process's generator starts elsewhere
  auto resumed = create_solver(param, "resume.prototxt");
  resumed->solve(state);
  ASSERT_EQ(resumed->iter(), 20);
  const auto actual = weights_of(*resumed);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t p = 0; p < expected.size(); ++p) {
    ASSERT_EQ(actual[p].size(), expected[p].size());
    EXPECT_EQ(0, std::memcmp(actual[p].data(), expected[p].data(), expected[p].size() * sizeof(float)))
        << "parameter " << p << " differs after resuming";
  }
}

// A live solver restored again and again from its own snapshots (the data layers' read-ahead
// threads are running each time) continues the same run. In the sanitizer build the leak
// checker also sees every restore, so a snapshot or restore that loses memory fails there.
TEST(Snapshot, RepeatedRestoresInOneProcessContinueTheSameRun) {
  test::TempDir dir;
  test::write_idx_pair(dir.file("images.idx"), dir.file("labels.idx"), 50, 6, 6, 3);
  SolverParameter param = solver_from_text(
      "base_lr: 0.05 lr_policy: 'step' gamma: 0.5 stepsize: 7 momentum: 0.9 weight_decay: 0.001 max_iter: 24 "
      "test_iter: 2 test_interval: 5 display: 4 random_seed: 7 snapshot_after_train: false");
  *param.mutable_net_param() = test::net_from_text(resume_net(dir));
  param.set_snapshot_prefix(dir.file("cycle"));

  auto uninterrupted = create_solver(param, "cycle.prototxt");
  uninterrupted->solve();
  const auto expected = weights_of(*uninterrupted);

  auto cycled = create_solver(param, "cycle.prototxt");
  for (int cycle = 0; cycle < 8; ++cycle) {
    cycled->step(3);
    std::string state = cycled->snapshot();
    state.replace(state.size() - std::string(".caffemodel").size(), std::string::npos, ".solverstate");
    // Disturb what restore must put back: the generator and the weights.
    Context::get().set_random_seed(1000 + cycle);
    for (Blob* p : cycled->net().learnable_params()) p->mutable_cpu_data()[0] += 1.f;
    cycled->restore(state);
    ASSERT_EQ(cycled->iter(), 3 * (cycle + 1));
  }
  const auto actual = weights_of(*cycled);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t p = 0; p < expected.size(); ++p)
    EXPECT_EQ(0, std::memcmp(actual[p].data(), expected[p].data(), expected[p].size() * sizeof(float)))
        << "parameter " << p << " differs after 8 in-process restores";
}

TEST(Snapshot, RestoreNamesMissingWeights) {
  test::TempDir dir;
  test::write_idx_pair(dir.file("images.idx"), dir.file("labels.idx"), 20, 6, 6, 3);
  SolverParameter param = solver_from_text("base_lr: 0.05 lr_policy: 'fixed' max_iter: 4 random_seed: 1");
  *param.mutable_net_param() = test::net_from_text(resume_net(dir));
  param.set_snapshot_prefix(dir.file("run"));
  auto solver = create_solver(param, "s.prototxt");
  solver->step(2);
  const std::string model = solver->snapshot();
  std::filesystem::remove(model);
  const std::string state = dir.file("run_iter_2.solverstate");
  try {
    solver->restore(state);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(model), std::string::npos) << error.what();
  }
}

TEST(Snapshot, FailedWriteKeepsTheExistingFile) {
  test::TempDir dir;
  const std::string path = dir.file("model.caffemodel");
  write_file_atomic(path, "first");
  // A folder where the temporary file would go makes the next write fail midway.
  std::filesystem::create_directory(path + ".tmp." + std::to_string(::getpid()));
  EXPECT_THROW(write_file_atomic(path, "second"), Error);
  EXPECT_EQ(read_file(path), "first");
}

}  // namespace
}  // namespace hwgq
