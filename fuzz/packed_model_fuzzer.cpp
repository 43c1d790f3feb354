// Packed model files (`hwgq export`, the HWGQPACK format): the input is checked as a file
// as it is, then, with its CRC-32 and payload size made to match (so that mutations of
// the payload get past the checksum), decoded and loaded into the deploy runtime, which
// runs forward when small enough.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "hwgq/common.hpp"
#include "hwgq/deploy/packed_model_file.hpp"
#include "hwgq/deploy/packed_runtime.hpp"

namespace {

// As for prototxt_net_fuzzer: shapes up to 16 reach every code path.
constexpr int64_t kMaxInteger = 16;
constexpr int kMaxRepeatedMessages = 64;
constexpr int64_t kMaxRunWork = int64_t(1) << 24;

void put_le(std::string* bytes, size_t offset, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) (*bytes)[offset + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hwgq::fuzz::init_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    hwgq::decode_packed_model(bytes, "fuzz.hwgqpack");
  } catch (const hwgq::Error&) {
  }
  if (size < hwgq::kPackedModelHeaderBytes) return 0;
  const size_t payload = size - hwgq::kPackedModelHeaderBytes;
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), data + hwgq::kPackedModelHeaderBytes, static_cast<uInt>(payload));
  put_le(&bytes, 12, crc, 4);
  put_le(&bytes, 16, payload, 8);
  hwgq::PackedModelProto model;
  try {
    model = hwgq::decode_packed_model(bytes, "fuzz.hwgqpack");
  } catch (const hwgq::Error&) {
    return 0;
  }
  hwgq::fuzz::clamp_integers(&model, kMaxInteger, kMaxRepeatedMessages);
  hwgq::fuzz::clear_file_paths(&model);
  hwgq::Context::get().set_random_seed(1);
  try {
    hwgq::PackedRuntime runtime(model, 0, "fuzz.hwgqpack");
    if (hwgq::fuzz::approximate_work(runtime.net()) <= kMaxRunWork) runtime.forward();
  } catch (const hwgq::Error&) {
  }
  return 0;
}
