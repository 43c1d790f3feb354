// hwgq::Context is per thread: what a new thread starts with, and threads that set
// different modes, devices and seeds not seeing each other's.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "hwgq/common.hpp"
#include "hwgq/math/random.hpp"

namespace hwgq {
namespace {

// The first draws of rng_uniform after seeding `seed`, written out independently.
std::vector<float> expected_uniform(uint64_t seed, int n) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<float> dist(0.f, 1.f);
  std::vector<float> out(n);
  for (float& x : out) x = dist(gen);
  return out;
}

struct Seen {
  Mode mode = Mode::CPU;
  int device = -1;
  std::vector<float> draws;
};

TEST(Context, NewThreadStartsOnCpuDeviceZeroWhateverItsParentSet) {
  Context& main = Context::get();
  const Mode saved_mode = main.mode();
  const int saved_device = main.device();
  main.set_mode(Mode::GPU);
  main.set_device(3);
  Seen seen;
  std::thread([&seen] {
    seen.mode = Context::get().mode();
    seen.device = Context::get().device();
  }).join();
  EXPECT_EQ(seen.mode, Mode::CPU);
  EXPECT_EQ(seen.device, 0);
  EXPECT_EQ(main.mode(), Mode::GPU);
  EXPECT_EQ(main.device(), 3);
  main.set_mode(saved_mode);
  main.set_device(saved_device);
}

TEST(Context, ThreadsKeepTheirOwnModeDeviceAndRandomStream) {
  constexpr int kThreads = 2, kDraws = 200;
  std::atomic<int> configured{0};
  std::vector<Seen> seen(kThreads);
  auto run = [&](int t) {
    Context& context = Context::get();
    context.set_mode(t == 0 ? Mode::CPU : Mode::GPU);
    context.set_device(t);
    context.set_random_seed(100 + t);
    // Both threads have configured before either draws or reads back, so with one shared
    // Context the later settings would overwrite the earlier thread's.
    ++configured;
    while (configured.load() < kThreads) std::this_thread::yield();
    seen[t].draws.resize(kDraws);
    // Drawn in small pieces so that the two streams interleave.
    for (int i = 0; i < kDraws; i += 10) {
      rng_uniform(10, 0.f, 1.f, seen[t].draws.data() + i);
      std::this_thread::yield();
    }
    seen[t].mode = context.mode();
    seen[t].device = context.device();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(run, t);
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(seen[0].mode, Mode::CPU);
  EXPECT_EQ(seen[1].mode, Mode::GPU);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(seen[t].device, t);
    EXPECT_EQ(seen[t].draws, expected_uniform(100 + t, kDraws)) << "thread " << t;
  }
}

TEST(Context, OtherThreadsLeaveTheCallersGeneratorAlone) {
  Context::get().set_random_seed(7);
  std::vector<float> first(5), rest(5);
  rng_uniform(5, 0.f, 1.f, first.data());
  std::thread([] {
    Context::get().set_random_seed(7);
    std::vector<float> elsewhere(50);
    rng_uniform(50, 0.f, 1.f, elsewhere.data());
  }).join();
  rng_uniform(5, 0.f, 1.f, rest.data());
  std::vector<float> both = first;
  both.insert(both.end(), rest.begin(), rest.end());
  EXPECT_EQ(both, expected_uniform(7, 10));
}

}  // namespace
}  // namespace hwgq
