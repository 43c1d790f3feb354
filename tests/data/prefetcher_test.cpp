#include "hwgq/data/prefetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "hwgq/blob.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/device_memory.hpp"

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

TEST(BatchPrefetcher, WaitStatsCountBatchesAndWaitWithinConsume) {
  BatchPrefetcher prefetcher(1, 1, [](Batch* batch) {
    // A slow producer: the consumer waits for most batches.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    batch->label.assign(1, 0.f);
  });
  EXPECT_EQ(prefetcher.wait_stats().batches, 0);
  EXPECT_EQ(prefetcher.wait_stats().wait_seconds, 0.0);
  prefetcher.start();
  double inside_consume = 0;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    prefetcher.consume([](const Batch&) {});
    inside_consume += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const BatchPrefetcher::WaitStats stats = prefetcher.wait_stats();
  EXPECT_EQ(stats.batches, 5);
  EXPECT_GT(stats.wait_seconds, 0.0);
  EXPECT_LE(stats.wait_seconds, inside_consume);
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

// Sets the run mode for a scope.
class ModeSetting {
 public:
  explicit ModeSetting(Mode mode) : saved_(Context::get().mode()) { Context::get().set_mode(mode); }
  ~ModeSetting() { Context::get().set_mode(saved_); }

 private:
  Mode saved_;
};

// Batch b holds data i * 10 + b and label 100 + b.
BatchPrefetcher::Fill numbered_batches(int* produced, int data_size, int label_size) {
  return [=](Batch* batch) {
    batch->data.resize(data_size);
    for (int i = 0; i < data_size; ++i) batch->data[i] = static_cast<float>(i * 10 + *produced);
    batch->label.assign(label_size, static_cast<float>(100 + *produced));
    ++*produced;
  };
}

void expect_batch(const Blob& data, const Blob* label, int b) {
  for (int i = 0; i < data.count(); ++i) ASSERT_EQ(data.cpu_data()[i], static_cast<float>(i * 10 + b)) << i;
  if (label) {
    for (int i = 0; i < label->count(); ++i) ASSERT_EQ(label->cpu_data()[i], static_cast<float>(100 + b)) << i;
  }
}

TEST(BatchPrefetcher, ConsumeIntoCopiesIntoTheBlobs) {
  ModeSetting mode(Mode::CPU);
  int produced = 0;
  BatchPrefetcher prefetcher(2, 1, numbered_batches(&produced, 6, 2));
  prefetcher.start();
  EXPECT_FALSE(prefetcher.uploads());
  Blob data({2, 3}), label({2});
  for (int b = 0; b < 5; ++b) {
    prefetcher.consume_into(&data, &label, false);
    expect_batch(data, &label, b);
  }
  // Without a label blob only the data is copied.
  prefetcher.consume_into(&data, nullptr, false);
  expect_batch(data, nullptr, 5);
}

TEST(BatchPrefetcher, CpuModeBatchesAreNotPageLockedAndHaveNoDeviceCopies) {
  ModeSetting mode(Mode::CPU);
  int produced = 0;
  BatchPrefetcher prefetcher(1, 1, numbered_batches(&produced, 4, 1));
  prefetcher.start();
  prefetcher.consume([](const Batch& batch) {
    EXPECT_FALSE(batch.data.page_locked());
    EXPECT_FALSE(batch.label.page_locked());
    EXPECT_EQ(batch.gpu_data, nullptr);
    EXPECT_EQ(batch.gpu_label, nullptr);
    EXPECT_EQ(batch.device, -1);
  });
}

// Started in GPU mode the prefetcher uploads only where a GPU is present; either way
// consume_into(on_gpu) delivers the same values (from the device copies, or from the host
// buffers where there are none), for several rounds through every slot.
TEST(BatchPrefetcher, GpuModeDeliversTheSameBatchesWithOrWithoutAGpu) {
  ModeSetting mode(Mode::GPU);
  int produced = 0;
  BatchPrefetcher prefetcher(3, 2, numbered_batches(&produced, 12, 3));
  prefetcher.start();
  EXPECT_EQ(prefetcher.uploads(), device_count() > 0);
  prefetcher.consume([&](const Batch& batch) {
    EXPECT_EQ(batch.data.page_locked(), prefetcher.uploads());
    EXPECT_EQ(batch.gpu_data != nullptr, prefetcher.uploads());
    EXPECT_EQ(batch.gpu_label != nullptr, prefetcher.uploads());
  });
  Blob data({3, 4}), label({3});
  for (int b = 1; b < 10; ++b) {
    prefetcher.consume_into(&data, &label, true);
    expect_batch(data, &label, b);
  }
  prefetcher.consume_into(&data, &label, false);  // the host path works in GPU mode too
  expect_batch(data, &label, 10);
}

TEST(BatchPrefetcher, GpuModeFillErrorsStillReachTheConsumer) {
  ModeSetting mode(Mode::GPU);
  int produced = 0;
  BatchPrefetcher prefetcher(2, 1, [&](Batch* batch) {
    if (produced == 1) HWGQ_FAIL("source went away");
    batch->data.assign(4, 1.f);
    ++produced;
  });
  prefetcher.start();
  Blob data({4});
  prefetcher.consume_into(&data, nullptr, true);
  EXPECT_EQ(data.cpu_data()[3], 1.f);
  EXPECT_THROW(prefetcher.consume_into(&data, nullptr, true), Error);
}

}  // namespace
}  // namespace hwgq
