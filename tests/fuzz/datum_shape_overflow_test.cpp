// Found by fuzz/datum_transform_fuzzer: a raw Datum of shape 1 x 6 x 536870911 holding no
// values overflowed int while datum_pixels computed its plane size (undefined behaviour;
// UBSan aborts), before the check that the values match the shape. The layout is now
// computed after that check. Later the same fuzzer found a shape whose value count
// overflowed int64 (2^31-scale channels x height x width): refused before counting.
#include <gtest/gtest.h>

#include "hwgq/common.hpp"
#include "hwgq/data/datum.hpp"

namespace hwgq {
namespace {

TEST(FuzzRegression, RawDatumWhosePlaneOverflowsInt) {
  // The fuzzer's Datum, as serialized: channels 1, height 6, width 0x41fffffff (536870911
  // as int32).
  const std::string bytes("\x08\x01\x10\x06\x18\xff\xff\xff\xff\x41", 10);
  Datum datum;
  ASSERT_TRUE(datum.ParseFromString(bytes));
  ASSERT_EQ(datum.width(), 536870911);
  Image decoded;
  try {
    datum_pixels(datum, ColorMode::Native, "db key 7", &decoded);
    FAIL() << "a Datum without values was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("db key 7: raw Datum holds 0 float values for shape 1 x 6 x 536870911"),
              std::string::npos)
        << error.what();
  }
}

TEST(FuzzRegression, RawDatumWhoseValueCountOverflowsInt64) {
  Datum datum;
  datum.set_channels(2147483647);
  datum.set_height(2147483647);
  datum.set_width(1081343);
  Image decoded;
  try {
    datum_pixels(datum, ColorMode::Native, "db key 8", &decoded);
    FAIL() << "a Datum of 2^31 x 2^31 x 2^20 values was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what())
                  .find("db key 8: raw Datum shape 2147483647 x 2147483647 x 1081343 has more values than any record "
                        "can hold"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace hwgq
