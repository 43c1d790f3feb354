// The packed model file written by `hwgq export` and read by the deploy runtime. Layout
// (all integers little-endian; docs/packed_model.md has the full description):
//
//   offset  size  field
//   0       8     magic "HWGQPACK"
//   8       4     format version (kPackedModelVersion)
//   12      4     CRC-32 (zlib polynomial) of the payload
//   16      8     payload size in bytes
//   24      ...   payload: a serialized PackedModelProto (proto/hwgq.proto)
//
// Readers refuse another magic, a newer version, a size that disagrees with the file,
// a checksum mismatch and a payload that does not parse, each with its own message.
#pragma once

#include <cstdint>
#include <string>

#include "hwgq/proto/hwgq.pb.h"

namespace hwgq {

constexpr char kPackedModelMagic[8] = {'H', 'W', 'G', 'Q', 'P', 'A', 'C', 'K'};
constexpr uint32_t kPackedModelVersion = 1;
constexpr size_t kPackedModelHeaderBytes = 24;

// The bytes of a packed model file holding `model`.
std::string encode_packed_model(const PackedModelProto& model);
// Parses file bytes; `origin` names the file in error messages.
PackedModelProto decode_packed_model(const std::string& bytes, const std::string& origin);

// Writes atomically (temporary file + rename), so a failed export leaves no partial file.
void write_packed_model(const PackedModelProto& model, const std::string& path);
PackedModelProto read_packed_model(const std::string& path);

// Whether the file at `path` starts with the packed model magic (false when unreadable).
bool is_packed_model_file(const std::string& path);

}  // namespace hwgq
