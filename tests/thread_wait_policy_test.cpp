#include "hwgq/util/thread_wait_policy.hpp"

#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"

namespace hwgq {
namespace {

using test::CommandResult;
using test::run_shell;
using test::TempDir;
using test::write_text;

TEST(ThreadWaitPolicyTest, BoundedSpinningWhenTheUserChoseNothing) {
  const WaitPolicyChoice choice = choose_thread_wait_policy(nullptr, nullptr, nullptr);
  EXPECT_EQ(choice.variable, "GOMP_SPINCOUNT");
  EXPECT_EQ(choice.value, std::to_string(kDefaultOpenMpSpinCount));
}

TEST(ThreadWaitPolicyTest, TheUsersSettingsWin) {
  EXPECT_TRUE(choose_thread_wait_policy("passive", nullptr, nullptr).variable.empty());
  EXPECT_TRUE(choose_thread_wait_policy("active", nullptr, nullptr).variable.empty());
  EXPECT_TRUE(choose_thread_wait_policy(nullptr, "0", nullptr).variable.empty());
  EXPECT_TRUE(choose_thread_wait_policy(nullptr, "infinite", nullptr).variable.empty());
}

TEST(ThreadWaitPolicyTest, NeverRestartsTwice) {
  EXPECT_TRUE(choose_thread_wait_policy(nullptr, nullptr, "1").variable.empty());
}

// `hwgq time` of a tiny net, run with the environment changed as `env_arguments` says
// (arguments of env(1)); returns what it printed.
CommandResult time_tiny_net(const std::string& env_arguments) {
  TempDir dir;
  write_text(dir.path() + "/net.prototxt",
             "layer { name: 'data' type: 'Input' top: 'data' input_param { shape { dim: 2 dim: 3 } } }\n"
             "layer { name: 'ip' type: 'InnerProduct' bottom: 'data' top: 'ip' inner_product_param { num_output: 2 } }\n");
  return run_shell(std::string("cd ") + HWGQ_SOURCE_DIR + " && env " + env_arguments + " " + HWGQ_BINARY_PATH +
                   " time --model=" + dir.path() + "/net.prototxt --iterations=2 --threads=1");
}

// The tool restarts itself with the bounded spin count, keeps its arguments and says so.
TEST(ThreadWaitPolicyTest, ToolRunsWithTheDefaultAndLogsIt) {
  const CommandResult result =
      time_tiny_net("-u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u HWGQ_THREAD_WAIT_POLICY_SET");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("CPU threads: 1; OpenMP threads wait with GOMP_SPINCOUNT=" +
                               std::to_string(kDefaultOpenMpSpinCount) + " (hwgq's default)"),
            std::string::npos)
      << result.output;
}

TEST(ThreadWaitPolicyTest, ToolKeepsTheUsersPolicy) {
  const CommandResult result = time_tiny_net("-u GOMP_SPINCOUNT -u HWGQ_THREAD_WAIT_POLICY_SET OMP_WAIT_POLICY=passive");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("OpenMP threads wait with OMP_WAIT_POLICY=passive (from the environment)"),
            std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace hwgq
