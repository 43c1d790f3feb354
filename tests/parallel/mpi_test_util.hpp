// Helpers of the data-parallel tests: mpirun on loopback, and a tiny net (without
// BatchNorm) on IDX data with its solver, and comparison of weight files.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq::test {

#ifdef HWGQ_MPIEXEC

constexpr int kParallelItems = 64;

// mpirun with `ranks` processes on this machine alone: loopback TCP, more processes than
// cores allowed, root allowed (CI runs as root). `timeout` bounds every run, so a hang
// fails the test instead of the suite. Leak checking is off for the ranks, since MPI
// keeps its allocations to the end on purpose.
inline std::string mpirun(int ranks) {
  return std::string("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ") +
         "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 timeout 120 " + HWGQ_MPIEXEC +
         " --oversubscribe -np " + std::to_string(ranks) +
         " --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo ";
}

inline CommandResult run_mpi(int ranks, const std::string& arguments) {
  return run_shell(std::string("cd ") + HWGQ_SOURCE_DIR + " && " + mpirun(ranks) + HWGQ_BINARY_PATH + " " +
                         arguments);
}

class DataParallelCliTest : public ::testing::Test {
 protected:
  void SetUp() override { write_idx_pair(dir_.file("images"), dir_.file("labels"), kParallelItems, 6, 6, 10); }

  // A net without BatchNorm, shuffled IdxData with `batch` per rank.
  std::string write_net(const std::string& name, int batch) const {
    const std::string data = "idx_data_param { images: \"" + dir_.file("images") + "\" labels: \"" +
                             dir_.file("labels") + "\" batch_size: " + std::to_string(batch) +
                             " scale: 0.00390625";
    const std::string path = dir_.file(name);
    write_text(path, "name: \"tiny\"\n"
                           "layer { name: \"data\" type: \"IdxData\" top: \"data\" top: \"label\" " +
                               data + " shuffle: true } include { phase: TRAIN } }\n"
                               "layer { name: \"data\" type: \"IdxData\" top: \"data\" top: \"label\" " +
                               data + " } include { phase: TEST } }\n" +
                               R"(layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
  inner_product_param { num_output: 16 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
  inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy" include { phase: TEST } }
)");
    return path;
  }

  std::string write_solver(const std::string& name, const std::string& net, int max_iter, int snapshot,
                           const std::string& prefix, int display = 1) const {
    const std::string path = dir_.file(name);
    write_text(path, "net: \"" + net + "\"\nbase_lr: 0.1\nlr_policy: \"fixed\"\nmomentum: 0.9\n"
                           "weight_decay: 0.0005\nmax_iter: " + std::to_string(max_iter) +
                               "\nsnapshot: " + std::to_string(snapshot) + "\nsnapshot_prefix: \"" +
                               dir_.file(prefix) + "\"\nrandom_seed: 11\ndisplay: " + std::to_string(display) + "\n");
    return path;
  }

  NetParameter weights(const std::string& prefix, int iter) const {
    NetParameter net;
    read_binary_proto(dir_.file(prefix) + "_iter_" + std::to_string(iter) + ".caffemodel", &net);
    return net;
  }

  // The largest difference between two weight files of the same net.
  static double max_difference(const NetParameter& a, const NetParameter& b) {
    EXPECT_EQ(a.layer_size(), b.layer_size());
    double worst = 0;
    for (int l = 0; l < a.layer_size() && l < b.layer_size(); ++l) {
      EXPECT_EQ(a.layer(l).blobs_size(), b.layer(l).blobs_size());
      for (int k = 0; k < a.layer(l).blobs_size(); ++k) {
        const BlobProto& x = a.layer(l).blobs(k);
        const BlobProto& y = b.layer(l).blobs(k);
        EXPECT_EQ(x.data_size(), y.data_size());
        for (int i = 0; i < x.data_size() && i < y.data_size(); ++i) {
          worst = std::max(worst, static_cast<double>(std::fabs(x.data(i) - y.data(i))));
        }
      }
    }
    return worst;
  }

  TempDir dir_;
};

#endif

}  // namespace hwgq::test
