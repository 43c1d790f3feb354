// The convert_imageset and compute_image_mean verbs of the hwgq binary, end to end.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "data/data_test_util.hpp"
#include "test_util.hpp"
#include "hwgq/data/datum.hpp"
#include "hwgq/data/image_resize.hpp"
#include "hwgq/data/lmdb.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

TEST(DataTools, ConvertThenMean) {
  test::ScratchDir dir;
  ASSERT_EQ(::mkdir(dir.path("images").c_str(), 0755), 0);
  {
    std::ofstream list(dir.path("list.txt"));
    for (int i = 0; i < 4; ++i) {
      const std::string name = "img" + std::to_string(i) + ".png";
      test::write_bytes(dir.path("images/" + name), encode_png(test::make_image(10, 12, 3, i)));
      list << name << " " << i << "\n";
    }
  }
  test::CommandResult result = test::run_hwgq("convert_imageset --encoded " + dir.path("images") + "/ " + dir.path("list.txt") +
                                        " " + dir.path("db"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("wrote 4 images"), std::string::npos) << result.output;
  {
    LmdbReader reader(dir.path("db"));
    ASSERT_EQ(reader.size(), 4u);
    std::string key, value;
    reader.next(&key, &value);
    EXPECT_EQ(key, "00000000_img0.png");
    Datum datum;
    ASSERT_TRUE(datum.ParseFromString(value));
    EXPECT_TRUE(datum.encoded());
    // Unchanged PNGs are stored byte for byte.
    EXPECT_EQ(datum.data(), read_file(dir.path("images/img0.png")));
  }

  result = test::run_hwgq("compute_image_mean " + dir.path("db") + " " + dir.path("mean.binaryproto"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  BlobProto mean;
  read_binary_proto(dir.path("mean.binaryproto"), &mean);
  EXPECT_EQ(mean.num(), 1);
  EXPECT_EQ(mean.channels(), 3);
  EXPECT_EQ(mean.height(), 10);
  EXPECT_EQ(mean.width(), 12);
  ASSERT_EQ(mean.data_size(), 360);
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 10; ++h)
      for (int w = 0; w < 12; ++w) {
        double sum = 0;
        for (int i = 0; i < 4; ++i) sum += test::make_image(10, 12, 3, i).at(h, w, c);
        EXPECT_FLOAT_EQ(mean.data((c * 10 + h) * 12 + w), sum / 4);
      }

  // Mistakes end with a one-line error and a non-zero status.
  result = test::run_hwgq("convert_imageset " + dir.path("images") + "/ " + dir.path("list.txt") + " " + dir.path("db"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("already exists"), std::string::npos) << result.output;
  result = test::run_hwgq("convert_imageset " + dir.path("list.txt"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("usage: hwgq convert_imageset"), std::string::npos) << result.output;
  result = test::run_hwgq("compute_image_mean " + dir.path("no_db"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find(dir.path("no_db") + " does not exist"), std::string::npos) << result.output;
}

TEST(DataTools, ResizedRawRecordsHoldTheResizedPixelsAndEncodedFalse) {
  test::ScratchDir dir;
  ASSERT_EQ(::mkdir(dir.path("images").c_str(), 0755), 0);
  const Image image = test::make_image(5, 4, 3, 7);
  test::write_bytes(dir.path("images/a.png"), encode_png(image));
  {
    std::ofstream list(dir.path("list.txt"));
    list << "a.png 2\n";
  }
  test::CommandResult result = test::run_hwgq("convert_imageset --resize_height=3 --resize_width=7 " +
                                              dir.path("images") + "/ " + dir.path("list.txt") + " " + dir.path("db"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  LmdbReader reader(dir.path("db"));
  ASSERT_EQ(reader.size(), 1u);
  std::string key, value;
  reader.next(&key, &value);
  Datum datum;
  ASSERT_TRUE(datum.ParseFromString(value));
  // Caffe writes encoded = false into raw records; a reader that checks has_encoded() sees it.
  EXPECT_TRUE(datum.has_encoded());
  EXPECT_FALSE(datum.encoded());
  EXPECT_EQ(datum.channels(), 3);
  EXPECT_EQ(datum.height(), 3);
  EXPECT_EQ(datum.width(), 7);
  EXPECT_EQ(datum.label(), 2);
  // The pixels are resize_bilinear's (tested against OpenCV in image_resize_test.cpp), planar.
  const Image resized = resize_bilinear(image, 3, 7);
  ASSERT_EQ(datum.data().size(), resized.pixels.size());
  for (int c = 0; c < 3; ++c)
    for (int h = 0; h < 3; ++h)
      for (int w = 0; w < 7; ++w)
        EXPECT_EQ(static_cast<uint8_t>(datum.data()[(c * 3 + h) * 7 + w]), resized.at(h, w, c));
}

}  // namespace
}  // namespace hwgq
