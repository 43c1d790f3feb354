#include "hwgq/blob.hpp"

#include <gtest/gtest.h>

#include "hwgq/common.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

TEST(Blob, ShapeAndCount) {
  Blob blob({2, 3, 4, 5});
  EXPECT_EQ(blob.count(), 120);
  EXPECT_EQ(blob.count(1), 60);
  EXPECT_EQ(blob.count(1, 3), 12);
  EXPECT_EQ(blob.shape(-1), 5);
  EXPECT_EQ(blob.num(), 2);
  EXPECT_EQ(blob.channels(), 3);
  EXPECT_THROW(blob.shape(4), Error);
}

TEST(Blob, StartsZeroedAndKeepsDataAcrossShrink) {
  Blob blob({4, 4});
  for (int i = 0; i < 16; ++i) EXPECT_EQ(blob.cpu_data()[i], 0.f);
  blob.mutable_cpu_data()[3] = 7.f;
  blob.reshape({2, 2});
  EXPECT_EQ(blob.cpu_data()[3], 7.f);
}

TEST(Blob, ProtoRoundTrip) {
  Blob blob({2, 3});
  for (int i = 0; i < 6; ++i) blob.mutable_cpu_data()[i] = i * 0.5f;
  BlobProto proto;
  blob.to_proto(&proto);
  Blob copy;
  copy.from_proto(proto);
  EXPECT_EQ(copy.shape(), blob.shape());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(copy.cpu_data()[i], blob.cpu_data()[i]);
}

TEST(Blob, LegacyShapeAndMismatch) {
  BlobProto proto;
  proto.set_num(1);
  proto.set_channels(1);
  proto.set_height(2);
  proto.set_width(3);
  for (int i = 0; i < 6; ++i) proto.add_data(i);
  Blob ip_weights({2, 3});
  EXPECT_TRUE(ip_weights.shape_equals(proto));
  ip_weights.from_proto(proto, false);
  Blob other({3, 2});
  try {
    other.from_proto(proto, false);
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1 x 1 x 2 x 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 x 2"), std::string::npos) << e.what();
  }
}

}  // namespace hwgq
