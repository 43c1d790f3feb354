#include "hwgq/data/prefetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "hwgq/common.hpp"

namespace hwgq {
namespace {

TEST(BatchPrefetcher, DeliversBatchesInOrder) {
  int produced = 0;  // touched by the producer thread only
  BatchPrefetcher prefetcher(3, 1, [&](Batch* batch) {
    batch->data.assign(4, static_cast<float>(produced));
    batch->label.assign(1, static_cast<float>(produced));
    ++produced;
  });
  prefetcher.start();
  for (int i = 0; i < 10; ++i) {
    prefetcher.consume([&](const Batch& batch) {
      ASSERT_EQ(batch.data.size(), 4u);
      EXPECT_EQ(batch.data[3], static_cast<float>(i));
      EXPECT_EQ(batch.label[0], static_cast<float>(i));
    });
  }
}

TEST(BatchPrefetcher, ParallelForGivesItemIToWorkerIModThreads) {
  std::vector<int> worker_of(50, -1);
  BatchPrefetcher prefetcher(1, 3, [&](Batch* batch) {
    batch->data.assign(worker_of.size(), 0.f);
    prefetcher.parallel_for(static_cast<int>(worker_of.size()), [&](int item, int worker) {
      worker_of[item] = worker;
      batch->data[item] = static_cast<float>(item * item);
    });
  });
  prefetcher.start();
  prefetcher.consume([&](const Batch& batch) {
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(worker_of[i], i % 3);
      EXPECT_EQ(batch.data[i], static_cast<float>(i * i));
    }
  });
  EXPECT_EQ(prefetcher.decode_threads(), 3);
}

TEST(BatchPrefetcher, FillErrorsReachTheConsumerAfterEarlierBatches) {
  int produced = 0;
  BatchPrefetcher prefetcher(4, 2, [&](Batch* batch) {
    if (produced == 2) HWGQ_FAIL("source went away");
    prefetcher.parallel_for(4, [&](int item, int worker) {
      if (produced == 1 && item == 3) throw Error("item 3 is unreadable");
    });
    batch->label.assign(1, static_cast<float>(produced++));
  });
  prefetcher.start();
  prefetcher.consume([](const Batch& batch) { EXPECT_EQ(batch.label[0], 0.f); });
  try {
    prefetcher.consume([](const Batch&) {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "item 3 is unreadable");
  }
  EXPECT_THROW(prefetcher.consume([](const Batch&) {}), Error);
}

TEST(BatchPrefetcher, ShutsDownWhenNeverStarted) {
  BatchPrefetcher prefetcher(2, 3, [](Batch*) {});
}

TEST(BatchPrefetcher, ShutsDownWhileTheQueueIsFull) {
  std::atomic<int> produced{0};
  {
    BatchPrefetcher prefetcher(2, 4, [&](Batch* batch) {
      prefetcher.parallel_for(8, [](int, int) {});
      ++produced;
    });
    prefetcher.start();
    while (produced < 2) std::this_thread::yield();
  }
  EXPECT_EQ(produced, 2);
}

}  // namespace
}  // namespace hwgq
