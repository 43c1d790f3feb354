// Found by fuzz/idx_fuzzer: a few-byte IDX file whose header declares 2^39 values made
// read_idx allocate them all before reading (an out-of-memory crash, or std::bad_alloc,
// instead of the "truncated" error). Memory now grows only with the data present.
#include <gtest/gtest.h>

#include "data/data_test_util.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/idx_reader.hpp"

namespace hwgq {
namespace {

TEST(FuzzRegression, IdxHeaderDeclaringHugeSizeIsTruncatedNotAllocated) {
  test::ScratchDir dir;
  // 65536 x 65536 x 128 images (2^39 bytes) followed by 3 bytes of values.
  const std::string bytes = std::string("\x00\x00\x08\x03\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x80", 16) + "abc";
  for (bool gzip : {false, true}) {
    const std::string path = dir.path(gzip ? "huge.gz" : "huge");
    test::write_bytes(path, bytes, gzip);
    try {
      read_idx_images(path);
      FAIL() << "a truncated file was read";
    } catch (const Error& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("truncated"), std::string::npos) << message;
      EXPECT_NE(message.find("holds 3"), std::string::npos) << message;
    }
  }
}

}  // namespace
}  // namespace hwgq
