// The packed model file: what is written reads back identically, and every damaged or
// foreign file is refused with a message that says what is wrong.
#include <gtest/gtest.h>

#include <fstream>

#include "hwgq/common.hpp"
#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

PackedModelProto small_model() {
  PackedModelProto model;
  *model.mutable_net() = test::net_from_text(
      "layer { name: 'in' type: 'Input' top: 'x' input_param { shape { dim: 1 dim: 2 } } }");
  PackedBinaryWeightsProto* packed = model.add_packed();
  packed->set_layer("ip");
  packed->set_sign_bits(std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  packed->add_alpha(0.5f);
  model.set_producer("hwgq test");
  return model;
}

void expect_error(const std::string& bytes, const std::string& fragment) {
  try {
    decode_packed_model(bytes, "m.hwgq");
    FAIL() << "expected an error containing \"" << fragment << "\"";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("m.hwgq"), std::string::npos) << e.what();
  }
}

TEST(PackedModelFile, RoundTripsThroughAFile) {
  test::TempDir dir;
  const PackedModelProto model = small_model();
  write_packed_model(model, dir.file("m.hwgq"));
  EXPECT_TRUE(is_packed_model_file(dir.file("m.hwgq")));
  const PackedModelProto read = read_packed_model(dir.file("m.hwgq"));
  EXPECT_EQ(read.SerializeAsString(), model.SerializeAsString());
  const std::string bytes = read_file(dir.file("m.hwgq"));
  EXPECT_EQ(bytes.substr(0, 8), "HWGQPACK");
  EXPECT_EQ(bytes.size(), kPackedModelHeaderBytes + model.ByteSizeLong());
}

TEST(PackedModelFile, RefusesForeignShortAndEmptyFiles) {
  expect_error("", "shorter than the 24-byte header");
  expect_error("HWGQPACK", "shorter than the 24-byte header");
  std::string prototxt = "name: 'LeNet' layer { name: 'a' type: 'Input' top: 'x' }";
  expect_error(prototxt, "no HWGQPACK magic");
  test::TempDir dir;
  test::write_text(dir.file("net.prototxt"), prototxt);
  EXPECT_FALSE(is_packed_model_file(dir.file("net.prototxt")));
  EXPECT_FALSE(is_packed_model_file(dir.file("missing")));
  EXPECT_THROW(read_packed_model(dir.file("missing")), Error);
  EXPECT_THROW(read_packed_model(dir.path()), Error);
}

TEST(PackedModelFile, RefusesTruncatedPaddedAndNewerFiles) {
  const std::string bytes = encode_packed_model(small_model());
  expect_error(bytes.substr(0, bytes.size() - 1), "truncated or padded");
  expect_error(bytes + "x", "truncated or padded");
  std::string newer = bytes;
  newer[8] = static_cast<char>(kPackedModelVersion + 1);
  expect_error(newer, "format version");
}

TEST(PackedModelFile, EveryFlippedPayloadByteIsCaughtByTheChecksum) {
  const std::string bytes = encode_packed_model(small_model());
  for (size_t i = kPackedModelHeaderBytes; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    expect_error(damaged, "corrupt");
  }
}

TEST(PackedModelFile, AValidChecksumOverAnEmptyNetIsStillRefused) {
  PackedModelProto empty;
  expect_error(encode_packed_model(empty), "holds no layers");
}

}  // namespace
}  // namespace hwgq
