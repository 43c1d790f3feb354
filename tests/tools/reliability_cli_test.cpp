// The CLI under failure: non-finite training, bad paths and flags, signals, outputs that
// must not overwrite inputs. Each case ends with a one-line error and a non-zero exit, or
// (signals) with a snapshot and a clean exit.
#include <gtest/gtest.h>

#include <filesystem>

#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

class ReliabilityCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_idx_pair(dir_.file("images"), dir_.file("labels"), 6, 3, 3, 3);
    test::write_text(dir_.file("net.prototxt"), R"(
      layer { name: "data" type: "IdxData" top: "data" top: "label"
              idx_data_param { images: ")" + dir_.file("images") + R"(" labels: ")" + dir_.file("labels") +
                                                    R"(" batch_size: 3 shuffle: false } }
      layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
              inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
      layer { name: "ip2" type: "InnerProduct" bottom: "ip" top: "ip2"
              inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.1 } } }
      layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" })");
  }

  std::string solver(const std::string& settings) {
    test::write_text(dir_.file("solver.prototxt"), "net: \"" + dir_.file("net.prototxt") +
                                                       "\" lr_policy: \"fixed\" snapshot_prefix: \"" +
                                                       dir_.file("run") + "\" " + settings);
    return dir_.file("solver.prototxt");
  }

  void expect_failure(const std::string& arguments, const std::vector<std::string>& parts) {
    const auto result = run_hwgq(arguments);
    EXPECT_EQ(result.exit_code, 1) << arguments << "\n" << result.output;
    for (const auto& part : parts) EXPECT_NE(result.output.find(part), std::string::npos) << result.output;
  }

  test::TempDir dir_;
};

TEST_F(ReliabilityCli, DivergingTrainingStopsNamingTheIteration) {
  // Weights of order 1e30 after the first update overflow the next forward pass.
  const std::string s = solver("base_lr: 1e30 max_iter: 20 snapshot: 1");
  expect_failure("train --solver=" + s, {"error: iteration ", "training stopped"});
  const auto debug = run_hwgq("train --debug_nonfinite --solver=" + s);
  EXPECT_EQ(debug.exit_code, 1) << debug.output;
  EXPECT_NE(debug.output.find("first non-finite"), std::string::npos) << debug.output;
  // Every snapshot that was written holds finite weights only.
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().extension() != ".caffemodel") continue;
    Net net(dir_.file("net.prototxt"), TRAIN);
    EXPECT_NO_THROW(net.copy_trained_layers_from(entry.path().string())) << entry.path();
  }
}

TEST_F(ReliabilityCli, NanBaseLrIsNamed) {
  expect_failure("train --solver=" + solver("base_lr: nan max_iter: 1"), {"base_lr must be a finite number"});
}

TEST_F(ReliabilityCli, MaxIterZeroWritesTheInitialSnapshot) {
  const auto result = run_hwgq("train --solver=" + solver("base_lr: 0.1 max_iter: 0"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(file_exists(dir_.file("run_iter_0.caffemodel")));
  EXPECT_TRUE(file_exists(dir_.file("run_iter_0.solverstate")));
}

TEST_F(ReliabilityCli, PathFlagsRefuseFoldersEmptyFilesAndUnmatchedWeights) {
  const std::string s = solver("base_lr: 0.1 max_iter: 1");
  expect_failure("train --solver=" + s + " --weights=" + dir_.path(), {"--weights=", "is a folder"});
  expect_failure("train --solver=" + dir_.path(), {"--solver=", "is a folder"});
  test::write_text(dir_.file("empty.prototxt"), "");
  expect_failure("test --model=" + dir_.file("empty.prototxt") + " --weights=" + dir_.file("images"),
                 {"--model=", "is an empty file"});
  test::write_text(dir_.file("comments.prototxt"), "# nothing but a comment\n");
  expect_failure("time --model=" + dir_.file("comments.prototxt"), {"defines no layers"});
  expect_failure("train --solver=" + s + " --snapshot=" + dir_.file("empty.prototxt"), {"is an empty file"});

  // Weights from a net whose layer names match none of this net's.
  test::write_text(dir_.file("other.prototxt"), R"(
    layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 9 } } }
    layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" inner_product_param { num_output: 3 } })");
  Net other(dir_.file("other.prototxt"), TEST);
  NetParameter weights;
  other.to_proto(&weights);
  write_binary_proto(weights, dir_.file("other.caffemodel"));
  expect_failure("train --solver=" + s + " --weights=" + dir_.file("other.caffemodel"),
                 {"no layer of the weights matches"});
}

TEST_F(ReliabilityCli, TheLogListsLoadedAndKeptLayers) {
  Net net(dir_.file("net.prototxt"), TRAIN);
  NetParameter weights;
  net.to_proto(&weights);
  for (auto& layer : *weights.mutable_layer()) {
    if (layer.name() == "ip2") layer.set_name("not_in_the_net");
  }
  write_binary_proto(weights, dir_.file("partial.caffemodel"));
  const auto result =
      run_hwgq("train --solver=" + solver("base_lr: 0.1 max_iter: 1") + " --weights=" + dir_.file("partial.caffemodel"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("Loaded weights for 1 layer(s): ip"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Kept initial values for 1 layer(s): ip2"), std::string::npos) << result.output;
}

TEST_F(ReliabilityCli, FlagsAreValidated) {
  const std::string model = " --model=" + dir_.file("net.prototxt");
  expect_failure("time --iterations=1 --phase=train" + model, {"--phase must be TRAIN or TEST"});
  expect_failure("time --iterations=1 --gpu=-2" + model, {"--gpu must be"});
  expect_failure("time --iterations=1 --threads=2000" + model, {"--threads must be in [0, 1024]"});
  expect_failure("time --iterations=1 --threads=-1" + model, {"--threads must be in [0, 1024]"});
  expect_failure("time --iterations=1" + model + " stray", {"takes no positional arguments", "stray"});
  expect_failure("train --solver=" + solver("base_lr: 0.1 max_iter: 1") + " --sigint_effect=pause",
                 {"--sigint_effect must be stop, snapshot or none"});
  const auto help = run_hwgq("train --help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("usage: hwgq train"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--sighup_effect"), std::string::npos) << help.output;
}

TEST_F(ReliabilityCli, SigtermSnapshotsAndStops) {
  const std::string s = solver("base_lr: 0.01 max_iter: 100000000");
  const std::string log = dir_.file("train.log");
  // The handlers are installed before "Solving" is logged; waiting for that line (at most
  // a minute) makes sure the signal meets them rather than the default action.
  // hwgq itself runs in the background (not a subshell around it), so that $! is its pid;
  // a watchdog kills it should the signal fail to stop it, so that the test cannot hang.
  const auto result = test::run_shell(
      std::string("cd ") + HWGQ_SOURCE_DIR + "; " + HWGQ_BINARY_PATH + " train --solver=" + s + " > " + log +
      " 2>&1 & pid=$!; ( sleep 300; kill -KILL $pid ) > /dev/null 2>&1 & watchdog=$!; " +
      "for i in $(seq 600); do grep -q Solving " + log + " && break; sleep 0.1; done; " +
      "kill -TERM $pid; wait $pid; echo exit=$?; kill $watchdog; cat " + log);
  EXPECT_NE(result.output.find("exit=0"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Stopped at iteration"), std::string::npos) << result.output;
  bool snapshot = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    snapshot |= entry.path().extension() == ".solverstate";
  }
  EXPECT_TRUE(snapshot) << result.output;
}

TEST_F(ReliabilityCli, SignalEffectsSnapshotAndNoneAreHonoured) {
  const std::string s = solver("base_lr: 0.01 max_iter: 100000000");
  const std::string log = dir_.file("train.log");
  const std::string wait_for = "for i in $(seq 600); do grep -q \"$1\" " + log + " && break; sleep 0.1; done";
  // SIGINT is ignored (were it acted on, training would end before SIGHUP's snapshot is
  // logged); SIGHUP snapshots and training goes on until SIGTERM stops it.
  const auto result = test::run_shell(
      std::string("wait_for() { ") + wait_for + "; }; cd " + HWGQ_SOURCE_DIR + "; " + HWGQ_BINARY_PATH +
      " train --sigint_effect=none --sighup_effect=snapshot --solver=" + s + " > " + log +
      " 2>&1 & pid=$!; ( sleep 300; kill -KILL $pid ) > /dev/null 2>&1 & watchdog=$!; " +
      "wait_for Solving; kill -INT $pid; kill -HUP $pid; wait_for 'Snapshot requested'; " +
      "kill -TERM $pid; wait $pid; echo exit=$?; kill $watchdog; cat " + log);
  EXPECT_NE(result.output.find("exit=0"), std::string::npos) << result.output;
  const auto snapshot = result.output.find("Snapshot requested at iteration");
  const auto stop = result.output.find("Stop requested at iteration");
  ASSERT_NE(snapshot, std::string::npos) << result.output;
  ASSERT_NE(stop, std::string::npos) << result.output;
  EXPECT_LT(snapshot, stop) << result.output;
}

TEST_F(ReliabilityCli, RecalibrateRefusesToOverwriteItsWeights) {
  Net net(dir_.file("net.prototxt"), TRAIN);
  NetParameter weights;
  net.to_proto(&weights);
  write_binary_proto(weights, dir_.file("w.caffemodel"));
  const std::string before = read_file(dir_.file("w.caffemodel"));
  expect_failure("recalibrate --iterations=1 --model=" + dir_.file("net.prototxt") + " --weights=" +
                     dir_.file("w.caffemodel") + " --output=" + dir_.path() + "/./w.caffemodel",
                 {"is the --weights file"});
  EXPECT_EQ(read_file(dir_.file("w.caffemodel")), before);
}

}  // namespace
}  // namespace hwgq
