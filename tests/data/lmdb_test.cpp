#include "hwgq/data/lmdb.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "data/data_test_util.hpp"
#include "hwgq/common.hpp"

namespace hwgq {
namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Lmdb, WritesAndReadsInKeyOrderWrappingAround) {
  test::ScratchDir dir;
  const std::string db = dir.path("db");
  {
    LmdbWriter writer(db);
    writer.put("b", "second");
    writer.put("a", "first");
    writer.put("c", std::string("thi\0rd", 6));
    writer.close();
  }
  LmdbReader reader(db);
  EXPECT_EQ(reader.size(), 3u);
  std::string key, value;
  const std::vector<std::string> keys = {"a", "b", "c", "a", "b"};
  for (const auto& expected : keys) {
    reader.next(&key, &value);
    EXPECT_EQ(key, expected);
  }
  EXPECT_EQ(value, "second");
  reader.rewind();
  reader.next(&key, &value);
  EXPECT_EQ(key, "a");
  reader.next(&key, &value);
  reader.next(&key, &value);
  EXPECT_EQ(value, std::string("thi\0rd", 6));
}

TEST(Lmdb, GrowsTheMapForLargeContents) {
  test::ScratchDir dir;
  const std::string big(64 << 10, 'x');
  {
    // 2 MiB of records in one pending batch, into a map of 256 KiB at first.
    LmdbWriter writer(dir.path("db"), 256 << 10);
    for (int i = 0; i < 32; ++i) writer.put("key" + std::to_string(1000 + i), big);
  }
  LmdbReader reader(dir.path("db"));
  EXPECT_EQ(reader.size(), 32u);
  std::string key, value;
  reader.next(&key, &value);
  EXPECT_EQ(value, big);
}

TEST(Lmdb, Errors) {
  test::ScratchDir dir;
  std::string message = error_of([&] { LmdbReader reader(dir.path("absent")); });
  EXPECT_NE(message.find(dir.path("absent")), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;

  message = error_of([&] { LmdbReader reader(dir.root()); });
  EXPECT_NE(message.find("holds no data.mdb"), std::string::npos) << message;

  { LmdbWriter writer(dir.path("db")); }
  message = error_of([&] { LmdbWriter writer(dir.path("db")); });
  EXPECT_NE(message.find("already exists"), std::string::npos) << message;
}

}  // namespace
}  // namespace hwgq
