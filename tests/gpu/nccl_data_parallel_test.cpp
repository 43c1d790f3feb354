// Two ranks on two GPUs (`mpirun -np 2 hwgq train --gpu=0`), their gradients averaged by
// NCCL, end with the weights one CPU process reaches with the whole batch. Skipped without
// MPI, and with fewer than two GPUs (NCCL takes one GPU per rank).
#include <gtest/gtest.h>

#include "gpu/gpu_test_util.hpp"
#include "hwgq/util/device_memory.hpp"
#include "parallel/mpi_test_util.hpp"

namespace hwgq {
namespace {

#ifdef HWGQ_MPIEXEC

class NcclDataParallelTest : public test::DataParallelCliTest {};

TEST_F(NcclDataParallelTest, TwoGpuRanksTrainLikeOneCpuProcessWithTheWholeBatch) {
  HWGQ_REQUIRE_GPU();
  if (device_count() < 2) GTEST_SKIP() << "one GPU: NCCL needs a GPU per rank";
  const std::string one = write_solver("one.prototxt", write_net("net8.prototxt", 8), 20, 0, "one");
  const std::string two = write_solver("two.prototxt", write_net("net4.prototxt", 4), 20, 0, "two");
  const auto single = test::run_hwgq("train --threads=1 --solver=" + one);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const auto parallel = test::run_mpi(2, "train --gpu=0 --solver=" + two);
  ASSERT_EQ(parallel.exit_code, 0) << parallel.output;
  EXPECT_NE(parallel.output.find("NCCL"), std::string::npos) << parallel.output;
  // GPU and CPU sums differ in order and in fused operations: a looser bound than the
  // CPU-only test's.
  EXPECT_LE(max_difference(weights("one", 20), weights("two", 20)), 1e-4);
}

#else

TEST(NcclDataParallelTest, NeedsAnMpiBuild) { GTEST_SKIP() << "built without MPI (HWGQ_USE_MPI=OFF)"; }

#endif

}  // namespace
}  // namespace hwgq
