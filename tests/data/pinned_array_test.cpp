#include "hwgq/data/pinned_array.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace hwgq {
namespace {

bool aligned64(const float* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

TEST(PinnedArray, StartsEmpty) {
  PinnedArray a;
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(a.begin(), a.end());
  EXPECT_TRUE(a.page_locked());
  EXPECT_FALSE(PinnedArray(false).page_locked());
}

TEST(PinnedArray, ResizeKeepsThePrefixAndGrowsOnlyPastTheCapacity) {
  for (bool page_locked : {true, false}) {
    SCOPED_TRACE(page_locked ? "page-locked" : "plain");
    PinnedArray a(page_locked);
    a.resize(5);
    ASSERT_NE(a.data(), nullptr);
    EXPECT_TRUE(aligned64(a.data()));
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i + 1);
    const float* first = a.data();

    a.resize(3);  // shrinking keeps the buffer
    EXPECT_EQ(a.size(), 3u);
    EXPECT_EQ(a.capacity(), 5u);
    EXPECT_EQ(a.data(), first);
    a.resize(5);  // and so does growing back within the capacity
    EXPECT_EQ(a.data(), first);
    EXPECT_EQ(a[2], 3.f);

    a.resize(1000);  // past the capacity: a new buffer with the old values in front
    EXPECT_EQ(a.size(), 1000u);
    EXPECT_GE(a.capacity(), 1000u);
    EXPECT_TRUE(aligned64(a.data()));
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(a[i], static_cast<float>(i + 1)) << i;
    EXPECT_EQ(a.end() - a.begin(), 1000);
  }
}

TEST(PinnedArray, AssignFillsEveryElement) {
  PinnedArray a;
  a.assign(7, 2.5f);
  ASSERT_EQ(a.size(), 7u);
  for (float v : a) EXPECT_EQ(v, 2.5f);
  a.assign(2, -1.f);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], -1.f);
  EXPECT_EQ(a[1], -1.f);
  a.assign(0, 3.f);
  EXPECT_TRUE(a.empty());
}

TEST(PinnedArray, MovesHandOverTheBuffer) {
  PinnedArray a(false);
  a.assign(4, 1.f);
  const float* buffer = a.data();
  PinnedArray b(std::move(a));
  EXPECT_EQ(b.data(), buffer);
  EXPECT_EQ(b.size(), 4u);
  EXPECT_FALSE(b.page_locked());
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(a.size(), 0u);

  PinnedArray c;
  c.assign(9, 0.f);
  c = std::move(b);
  EXPECT_EQ(c.data(), buffer);
  EXPECT_EQ(c.size(), 4u);
  EXPECT_FALSE(c.page_locked());
  EXPECT_EQ(c[3], 1.f);
}

}  // namespace
}  // namespace hwgq
