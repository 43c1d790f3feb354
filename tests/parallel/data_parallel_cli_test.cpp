// `mpirun -np 2 hwgq train|test` over loopback: two ranks with batch b end with the weights
// of one process with batch 2b; a resumed run matches an uninterrupted one; the TEST phase
// covers the set once; a rank that dies or hangs ends the job with an error. Skipped in a
// build without MPI.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

#include "hwgq/monitor/metrics_log.hpp"
#include "parallel/mpi_test_util.hpp"

namespace hwgq {
namespace {

#ifdef HWGQ_MPIEXEC

using test::DataParallelCliTest;
using test::mpirun;
using test::run_mpi;

TEST_F(DataParallelCliTest, TwoRanksWithBatchBTrainLikeOneProcessWithBatch2B) {
  const std::string one = write_solver("one.prototxt", write_net("net8.prototxt", 8), 20, 10, "one");
  const auto single = test::run_hwgq("train --threads=1 --solver=" + one);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  // Both ways of reducing: auto takes shared memory, since both ranks run on this machine.
  for (const std::string reduction : {"auto", "mpi"}) {
    SCOPED_TRACE("--gradient_reduction=" + reduction);
    const std::string prefix = "two_" + reduction;
    const std::string two = write_solver(prefix + ".prototxt", write_net("net4.prototxt", 4), 20, 10, prefix);
    const auto parallel = run_mpi(2, "train --threads=1 --gradient_reduction=" + reduction + " --solver=" + two);
    ASSERT_EQ(parallel.exit_code, 0) << parallel.output;
    EXPECT_NE(parallel.output.find("Data-parallel run: 2 rank(s)"), std::string::npos) << parallel.output;
    const std::string reducer = reduction == "auto" ? "shared memory" : "MPI allreduce";
    EXPECT_NE(parallel.output.find("Gradient reduction (" + reducer + "):"), std::string::npos) << parallel.output;
    // The same sums in another order: float rounding alone may differ (20 iterations of
    // momentum SGD on weights of size ~0.1; measured differences are ~1e-7).
    const double difference = max_difference(weights("one", 20), weights(prefix, 20));
    EXPECT_LE(difference, 1e-5);
    EXPECT_LE(max_difference(weights("one", 10), weights(prefix, 10)), 1e-5);
    // Training moved the weights (the comparison above is not one of untouched weights).
    EXPECT_GT(max_difference(weights(prefix, 10), weights(prefix, 20)), 1e-3);
    // One metrics file, written by rank 0, counting the images of both ranks.
    const auto records = read_metrics_log(dir_.file(prefix + "_metrics.jsonl"));
    ASSERT_EQ(records.size(), 20u);  // display: 1
    for (const auto& record : records) EXPECT_EQ(record.images_per_iteration, 8);
  }
  // Two ranks' sums are a + b either way, scaled alike: both reductions give the same floats.
  EXPECT_EQ(max_difference(weights("two_auto", 20), weights("two_mpi", 20)), 0.0);
}

// Three ranks: slices of unequal sizes, and sums of three terms that must be added in the
// same order whichever rank forms them.
TEST_F(DataParallelCliTest, ThreeRanksOverSharedMemoryTrainLikeOneProcess) {
  const std::string one = write_solver("one.prototxt", write_net("net12.prototxt", 12), 10, 5, "one");
  const auto single = test::run_hwgq("train --threads=1 --solver=" + one);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const std::string three = write_solver("three.prototxt", write_net("net4.prototxt", 4), 10, 5, "three");
  const auto parallel = run_mpi(3, "train --threads=1 --gradient_reduction=shared_memory --solver=" + three);
  ASSERT_EQ(parallel.exit_code, 0) << parallel.output;
  EXPECT_NE(parallel.output.find("Gradient reduction (shared memory):"), std::string::npos) << parallel.output;
  EXPECT_LE(max_difference(weights("one", 5), weights("three", 5)), 1e-5);
  EXPECT_LE(max_difference(weights("one", 10), weights("three", 10)), 1e-5);
  EXPECT_GT(max_difference(weights("three", 5), weights("three", 10)), 1e-3);
}

// Fully connected weight gradients averaged by gathering every rank's layer inputs and top
// gradients: each rank computes the whole batch's gradient, as one process with batch 2b
// does, so the weights match it as closely as with reduced gradients.
TEST_F(DataParallelCliTest, TwoRanksExchangingFullyConnectedFactorsTrainLikeOneProcess) {
  const std::string one = write_solver("one.prototxt", write_net("net8.prototxt", 8), 20, 10, "one");
  const auto single = test::run_hwgq("train --threads=1 --solver=" + one);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  for (const std::string reduction : {"shared_memory", "mpi"}) {
    SCOPED_TRACE("--gradient_reduction=" + reduction);
    const std::string prefix = "factors_" + reduction;
    const std::string two = write_solver(prefix + ".prototxt", write_net("net4.prototxt", 4), 20, 10, prefix);
    const auto parallel = run_mpi(2, "train --threads=1 --fc_gradient_exchange=factors --gradient_reduction=" +
                                         reduction + " --solver=" + two);
    ASSERT_EQ(parallel.exit_code, 0) << parallel.output;
    EXPECT_NE(parallel.output.find("Weight gradients averaged by gathering their factors (inputs and top gradients): "
                                   "ip1 (36 -> 16), ip2 (16 -> 10)"),
              std::string::npos)
        << parallel.output;
    EXPECT_LE(max_difference(weights("one", 10), weights(prefix, 10)), 1e-5);
    EXPECT_LE(max_difference(weights("one", 20), weights(prefix, 20)), 1e-5);
    EXPECT_GT(max_difference(weights(prefix, 10), weights(prefix, 20)), 1e-3);
  }
  // The biases are still reduced, by either reducer alike.
  EXPECT_EQ(max_difference(weights("factors_shared_memory", 20), weights("factors_mpi", 20)), 0.0);
}

TEST_F(DataParallelCliTest, FactorsAreRefusedWhereAnIterationHasSeveralPasses) {
  const std::string solver = write_solver("s.prototxt", write_net("net4.prototxt", 4), 4, 0, "s");
  std::ofstream(solver, std::ios::app) << "iter_size: 2\n";
  const auto refused = run_mpi(2, "train --threads=1 --fc_gradient_exchange=factors --solver=" + solver);
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_NE(refused.output.find("fully connected gradients cannot be exchanged as factors: iter_size is 2"),
            std::string::npos)
      << refused.output;
  // auto falls back to reducing the gradients.
  const auto automatic = run_mpi(2, "train --threads=1 --solver=" + solver);
  EXPECT_EQ(automatic.exit_code, 0) << automatic.output;
}

TEST_F(DataParallelCliTest, ResumeWithTheSameRanksMatchesAnUninterruptedRun) {
  const std::string net = write_net("net.prototxt", 4);
  const auto whole = run_mpi(2, "train --threads=1 --solver=" + write_solver("a.prototxt", net, 10, 5, "a"));
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  const auto first = run_mpi(2, "train --threads=1 --solver=" + write_solver("b.prototxt", net, 5, 5, "b"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto resumed = run_mpi(2, "train --threads=1 --solver=" + write_solver("c.prototxt", net, 10, 5, "b") +
                                      " --snapshot=" + dir_.file("b_iter_5.solverstate"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(max_difference(weights("a", 10), weights("b", 10)), 0.0);
  EXPECT_GT(max_difference(weights("a", 5), weights("a", 10)), 0.0);
}

TEST_F(DataParallelCliTest, TestPhaseIsSplitAcrossRanksAndReduced) {
  const std::string net = write_net("net.prototxt", 4);
  const auto trained = test::run_hwgq("train --threads=1 --solver=" + write_solver("s.prototxt", net, 10, 0, "s"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const std::string args = "test --threads=1 --iterations=0 --model=" + net + " --weights=" + dir_.file("s_iter_10.caffemodel");
  const auto single = test::run_hwgq(args + " 2>/dev/null");
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const auto parallel = run_mpi(2, args + " 2>&1");
  ASSERT_EQ(parallel.exit_code, 0) << parallel.output;
  EXPECT_NE(parallel.output.find("One pass over the 64 items of layer \"data\": 8 batches of 8 (over all ranks)"),
            std::string::npos)
      << parallel.output;
  // The accuracy over the 64 items (a multiple of 1/64, exact in either order of sums).
  const auto accuracy = [](const std::string& output) {
    const auto at = output.rfind("accuracy = ");
    return at == std::string::npos ? std::string("(none)") : output.substr(at, output.find('\n', at) - at);
  };
  EXPECT_EQ(accuracy(parallel.output), accuracy(single.output)) << parallel.output;
  EXPECT_NE(accuracy(single.output), "(none)") << single.output;
}

// Rank 1 stops itself (SIGKILL: dead, SIGSTOP: hung) 5 s into a long run (past MPI_Init
// even on a loaded machine).
std::string rank_one_signals_itself(const std::string& signal) {
  return "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then (sleep 5; kill -" + signal + " $$) & fi; exec \"$0\" \"$@\"' ";
}

TEST_F(DataParallelCliTest, AKilledRankEndsTheRunWithAnError) {
  const std::string solver = write_solver("s.prototxt", write_net("net.prototxt", 4), 100000000, 0, "s", 0);
  const auto result = test::run_shell(std::string("cd ") + HWGQ_SOURCE_DIR + " && " + mpirun(2) +
                                      rank_one_signals_itself("KILL") + HWGQ_BINARY_PATH +
                                      " train --threads=1 --solver=" + solver);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.exit_code, 124) << "the run did not end: " << result.output;
}

TEST_F(DataParallelCliTest, AHungRankEndsTheRunAfterTheCollectiveTimeout) {
  const std::string solver = write_solver("s.prototxt", write_net("net.prototxt", 4), 100000000, 0, "s", 0);
  // Rank 0 is nearly always waiting for the gradients when rank 1 stops: in the shared-memory
  // reduction, in MPI's allreduce or, with factors, in the gather of a layer's factors.
  for (const std::string reduction : {"shared_memory", "mpi", "shared_memory --fc_gradient_exchange=factors"}) {
    SCOPED_TRACE("--gradient_reduction=" + reduction);
    const auto result = test::run_shell(std::string("cd ") + HWGQ_SOURCE_DIR + " && " + mpirun(2) +
                                        rank_one_signals_itself("STOP") + HWGQ_BINARY_PATH +
                                        " train --threads=1 --collective_timeout=2 --gradient_reduction=" +
                                        reduction + " --solver=" + solver);
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_NE(result.exit_code, 124) << "the run did not end: " << result.output;
    EXPECT_NE(result.output.find("rank 0: error: no answer from the other ranks"), std::string::npos)
        << result.output;
  }
}

#else

TEST(DataParallelCliTest, NeedsAnMpiBuild) { GTEST_SKIP() << "built without MPI (HWGQ_USE_MPI=OFF)"; }

#endif

// Checked in every build, launched or not.
TEST(DataParallelFlagsTest, BadValuesAreRefused) {
  const std::string solver = " --solver=models/fashion_mnist/lenet/solver.prototxt";
  auto result = test::run_hwgq("train --collective_timeout=-1" + solver);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("--collective_timeout must not be negative"), std::string::npos) << result.output;
  result = test::run_hwgq("train --gradient_bucket_mb=0" + solver);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("--gradient_bucket_mb must be positive"), std::string::npos) << result.output;
  result = test::run_hwgq("train --gradient_reduction=nccl" + solver);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("unknown gradient reduction \"nccl\": choose auto, shared_memory or mpi"),
            std::string::npos)
      << result.output;
  result = test::run_hwgq("train --fc_gradient_exchange=sometimes" + solver);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("unknown fully connected gradient exchange \"sometimes\": choose auto, factors or "
                               "gradients"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace hwgq
