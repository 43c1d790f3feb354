// The solver's data-parallel settings: only the primary replica writes snapshots, and test
// outputs pass through the reducer before they are logged and returned.
#include <gtest/gtest.h>

#include <filesystem>

#include "hwgq/solver.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char* const kNet = R"(
  layer { name: "input" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 4 dim: 3 } shape { dim: 4 } } }
  layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
          inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" })";

std::unique_ptr<Solver> make_solver(const test::TempDir& dir) {
  SolverParameter param = test::solver_from_text("base_lr: 0.1 lr_policy: 'fixed' max_iter: 2 test_iter: 1");
  *param.mutable_net_param() = test::net_from_text(kNet);
  param.set_snapshot_prefix(dir.file("run"));
  param.set_random_seed(3);
  return create_solver(param, dir.file("solver.prototxt"));
}

TEST(SolverReplicaTest, OnlyThePrimaryWritesSnapshots) {
  test::TempDir dir;
  auto solver = make_solver(dir);
  EXPECT_TRUE(solver->primary());
  solver->set_primary(false);
  const std::string model = solver->snapshot();
  EXPECT_EQ(model, dir.file("run_iter_0.caffemodel"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  solver->set_primary(true);
  EXPECT_EQ(solver->snapshot(), model);
  EXPECT_TRUE(std::filesystem::exists(model));
  EXPECT_TRUE(std::filesystem::exists(dir.file("run_iter_0.solverstate")));
}

TEST(SolverReplicaTest, TestOutputsPassThroughTheReducer) {
  test::TempDir dir;
  auto solver = make_solver(dir);
  const auto alone = solver->test_all();
  ASSERT_EQ(alone.size(), 1u);
  std::vector<double> seen;
  solver->set_test_output_reducer([&](std::vector<double>* means) {
    seen = *means;
    for (double& mean : *means) mean += 1;
  });
  const auto reduced = solver->test_all();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FLOAT_EQ(static_cast<float>(seen[0]), alone[0].second);
  EXPECT_FLOAT_EQ(reduced[0].second, alone[0].second + 1);
}

}  // namespace
}  // namespace hwgq
