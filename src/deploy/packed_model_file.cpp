#include "hwgq/deploy/packed_model_file.hpp"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

namespace {

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_le(const std::string& bytes, size_t offset, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= uint64_t(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return v;
}

uint32_t crc32_of(const std::string& bytes, size_t offset, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* data = reinterpret_cast<const Bytef*>(bytes.data() + offset);
  // zlib takes lengths as uInt: feed large payloads in pieces.
  while (size > 0) {
    const uInt piece = static_cast<uInt>(std::min<size_t>(size, std::numeric_limits<uInt>::max() / 2));
    crc = crc32(crc, data, piece);
    data += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

std::string encode_packed_model(const PackedModelProto& model) {
  std::string payload;
  HWGQ_REQUIRE(model.SerializeToString(&payload), "packed model: cannot serialize (over 2 GiB?)");
  std::string out(kPackedModelMagic, sizeof(kPackedModelMagic));
  put_u32(&out, kPackedModelVersion);
  put_u32(&out, crc32_of(payload, 0, payload.size()));
  put_u64(&out, payload.size());
  out += payload;
  return out;
}

PackedModelProto decode_packed_model(const std::string& bytes, const std::string& origin) {
  HWGQ_REQUIRE(bytes.size() >= kPackedModelHeaderBytes,
               origin << ": not a packed hwgq model (" << bytes.size() << " bytes, shorter than the "
                      << kPackedModelHeaderBytes << "-byte header)");
  HWGQ_REQUIRE(std::memcmp(bytes.data(), kPackedModelMagic, sizeof(kPackedModelMagic)) == 0,
               origin << ": not a packed hwgq model (no HWGQPACK magic; `hwgq export` writes these)");
  const uint32_t version = static_cast<uint32_t>(get_le(bytes, 8, 4));
  HWGQ_REQUIRE(version >= 1 && version <= kPackedModelVersion,
               origin << ": packed model format version " << version << " is not supported (this hwgq reads 1 to "
                      << kPackedModelVersion << ")");
  const uint32_t stored_crc = static_cast<uint32_t>(get_le(bytes, 12, 4));
  const uint64_t payload_size = get_le(bytes, 16, 8);
  const uint64_t present = bytes.size() - kPackedModelHeaderBytes;
  HWGQ_REQUIRE(payload_size == present, origin << ": truncated or padded packed model: the header announces "
                                               << payload_size << " payload bytes, the file holds " << present);
  const uint32_t crc = crc32_of(bytes, kPackedModelHeaderBytes, present);
  HWGQ_REQUIRE(crc == stored_crc, origin << ": packed model is corrupt (CRC-32 " << std::hex << crc
                                         << " of the payload, header says " << stored_crc << ")");
  PackedModelProto model;
  HWGQ_REQUIRE(model.ParseFromArray(bytes.data() + kPackedModelHeaderBytes, static_cast<int>(present)),
               origin << ": packed model payload does not parse");
  HWGQ_REQUIRE(model.has_net() && model.net().layer_size() > 0, origin << ": packed model holds no layers");
  return model;
}

void write_packed_model(const PackedModelProto& model, const std::string& path) {
  write_file_atomic(path, encode_packed_model(model));
}

PackedModelProto read_packed_model(const std::string& path) {
  return decode_packed_model(read_file(path), path);
}

bool is_packed_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(kPackedModelMagic)] = {};
  if (!in.read(magic, sizeof(magic))) return false;
  return std::memcmp(magic, kPackedModelMagic, sizeof(magic)) == 0;
}

}  // namespace hwgq
