// Found by fuzz/idx_fuzzer: an IDX header of three dimensions near 2^31 made the
// "implausible size" error message overflow int64 while counting the values (undefined
// behaviour; UBSan aborts). The count in shape_string now saturates.
#include <gtest/gtest.h>

#include <climits>

#include "data/data_test_util.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/idx_reader.hpp"

namespace hwgq {
namespace {

TEST(FuzzRegression, ShapeStringOfAnUncountableShape) {
  EXPECT_EQ(shape_string({INT_MAX, INT_MAX, INT_MAX}), "2147483647 x 2147483647 x 2147483647 (beyond 2^63)");
  EXPECT_EQ(shape_string({INT_MAX, INT_MAX}), "2147483647 x 2147483647 (4611686014132420609)");
  EXPECT_EQ(shape_string({2, -3}), "2 x -3 (-6)");
}

TEST(FuzzRegression, IdxHeaderOfThreeHugeDimensions) {
  test::ScratchDir dir;
  // The fuzzer's input: 10752 x 33554432 x 50397184 images, then a few value bytes.
  const std::string bytes("\x00\x00\x08\x03\x00\x00\x2a\x00\x02\x00\x00\x00\x03\x01\x00\x00\x00\x00\x02\xf0", 20);
  test::write_bytes(dir.path("huge"), bytes);
  try {
    read_idx_images(dir.path("huge"));
    FAIL() << "an implausible header was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("implausible size"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace hwgq
