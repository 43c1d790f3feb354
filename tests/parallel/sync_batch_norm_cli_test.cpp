// `mpirun -np 2 hwgq train --sync_batch_norm` over loopback: with synchronized BatchNorm,
// two ranks with batch b end with the weights and the BatchNorm running statistics of one
// process with batch 2b; without it the ranks' own statistics give another net; in one
// process the flag changes nothing. Skipped in a build without MPI.
#include <gtest/gtest.h>

#include <string>

#include "parallel/mpi_test_util.hpp"

namespace hwgq {
namespace {

#ifdef HWGQ_MPIEXEC

using test::run_mpi;

class SyncBatchNormCliTest : public test::DataParallelCliTest {
 protected:
  // Convolution -> BatchNorm (4-d) -> ReLU -> InnerProduct -> BatchNorm (2-d) -> ReLU ->
  // InnerProduct, on shuffled IdxData with `batch` per rank. `sync_field` sets
  // sync_across_replicas on the first BatchNorm in the prototxt.
  std::string write_bn_net(const std::string& name, int batch, bool sync_field = false) const {
    const std::string data = "idx_data_param { images: \"" + dir_.file("images") + "\" labels: \"" +
                             dir_.file("labels") + "\" batch_size: " + std::to_string(batch) +
                             " scale: 0.00390625";
    const std::string path = dir_.file(name);
    test::write_text(path, "name: \"tiny_bn\"\n"
                     "layer { name: \"data\" type: \"IdxData\" top: \"data\" top: \"label\" " +
                         data + " shuffle: true } include { phase: TRAIN } }\n" +
                         R"(layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "bn_conv" type: "BatchNorm" bottom: "conv" top: "conv" batch_norm_param { sync_across_replicas: )" +
                         (sync_field ? "true" : "false") + R"( } }
layer { name: "relu_conv" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "ip1" type: "InnerProduct" bottom: "conv" top: "ip1"
  inner_product_param { num_output: 16 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "bn_ip1" type: "BatchNorm" bottom: "ip1" top: "ip1" }
layer { name: "relu_ip1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
  inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
)");
    return path;
  }

  // The solver `prefix`.prototxt: 10 iterations of the BatchNorm net with `batch`, one
  // snapshot at the end (prefix_iter_10.caffemodel).
  std::string write_net_solver(const std::string& prefix, int batch) const {
    return write_solver(prefix + ".prototxt", write_bn_net(prefix + "_net.prototxt", batch), 10, 10, prefix);
  }
};

// Weights of size ~0.1-0.3 after 10 momentum SGD steps, running sums of BatchNorm means
// and variances of size ~1-10: float rounding in a different order of sums stays far below
// this, while per-rank statistics move the same values by more than 1e-3.
constexpr double kTolerance = 1e-4;

TEST_F(SyncBatchNormCliTest, TwoSynchronizedRanksWithBatchBTrainLikeOneProcessWithBatch2B) {
  const std::string one = write_net_solver("one", 8);
  const std::string two = write_net_solver("two", 4);
  const auto single = test::run_hwgq("train --threads=1 --solver=" + one);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const auto synchronized = run_mpi(2, "train --threads=1 --sync_batch_norm --solver=" + two);
  ASSERT_EQ(synchronized.exit_code, 0) << synchronized.output;
  EXPECT_NE(synchronized.output.find("--sync_batch_norm: every BatchNorm layer takes its batch statistics over all "
                                     "2 rank(s)"),
            std::string::npos)
      << synchronized.output;
  const double difference = max_difference(weights("one", 10), weights("two", 10));
  EXPECT_LE(difference, kTolerance);

  // The same 2-rank run with each rank's own statistics.
  const auto own = run_mpi(2, "train --threads=1 --solver=" + write_net_solver("own", 4));
  ASSERT_EQ(own.exit_code, 0) << own.output;
  EXPECT_GT(max_difference(weights("one", 10), weights("own", 10)), 1e-3);
}

TEST_F(SyncBatchNormCliTest, TheLayerFieldSynchronizesOneLayer) {
  const auto run = run_mpi(2, "train --threads=1 --solver=" + write_solver("f.prototxt",
                                                                           write_bn_net("f.net", 4, true), 2, 2, "f"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("BatchNorm layers with batch statistics over all 2 rank(s) (sync_across_replicas): "
                            "bn_conv\n"),
            std::string::npos)
      << run.output;
}

TEST_F(SyncBatchNormCliTest, InOneProcessTheFlagChangesNothing) {
  const std::string net = write_bn_net("net.prototxt", 4);
  const auto plain = test::run_hwgq("train --threads=1 --solver=" + write_solver("p.prototxt", net, 3, 3, "p"));
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  const auto flagged =
      test::run_hwgq("train --threads=1 --sync_batch_norm --solver=" + write_solver("s.prototxt", net, 3, 3, "s"));
  ASSERT_EQ(flagged.exit_code, 0) << flagged.output;
  EXPECT_NE(flagged.output.find("with one process this changes nothing"), std::string::npos) << flagged.output;
  EXPECT_EQ(max_difference(weights("p", 3), weights("s", 3)), 0.0);
}

#endif

}  // namespace
}  // namespace hwgq
