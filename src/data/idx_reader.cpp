#include "hwgq/data/idx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <iomanip>

#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

namespace {

const char* describe_magic(int num_dims) {
  return num_dims == 1 ? "unsigned-byte labels, 1 dimension"
                       : num_dims == 3 ? "unsigned-byte images, N x rows x cols" : "unsigned-byte values";
}

std::string hex32(uint32_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << value;
  return out.str();
}

// Sequential reads from a plain or gzipped file, chosen by the file's first two bytes.
class ByteReader {
 public:
  explicit ByteReader(const std::string& path) : path_(path) {
    HWGQ_REQUIRE(file_exists(path), "IDX file not found: " << path);
    std::FILE* probe = std::fopen(path.c_str(), "rb");
    HWGQ_REQUIRE(probe, "cannot open IDX file " << path << ": " << std::strerror(errno));
    unsigned char magic[2] = {0, 0};
    const size_t got = std::fread(magic, 1, 2, probe);
    gzipped_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (gzipped_) {
      std::fclose(probe);
      gz_ = gzopen(path.c_str(), "rb");
      HWGQ_REQUIRE(gz_, "cannot open IDX file " << path << ": " << std::strerror(errno));
      // Larger than zlib's 8 KiB default: inflating a 47 MB training set in big steps is
      // noticeably faster.
      gzbuffer(gz_, 1 << 18);
    } else {
      std::rewind(probe);
      file_ = probe;
    }
  }
  ~ByteReader() {
    if (gz_) gzclose(gz_);
    if (file_) std::fclose(file_);
  }
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  // Reads up to n bytes; returns how many were read (fewer only at the end of the data).
  size_t read(void* out, size_t n) {
    size_t total = 0;
    auto* bytes = static_cast<unsigned char*>(out);
    while (total < n) {
      if (gz_) {
        const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - total, 1u << 30));
        const int got = gzread(gz_, bytes + total, chunk);
        if (got < 0) {
          int code = 0;
          const char* message = gzerror(gz_, &code);
          HWGQ_FAIL("cannot read IDX file " << path_ << ": corrupt gzip data (" << message << ")");
        }
        if (got == 0) break;
        total += static_cast<size_t>(got);
      } else {
        const size_t got = std::fread(bytes + total, 1, n - total, file_);
        HWGQ_REQUIRE(!std::ferror(file_), "cannot read IDX file " << path_ << ": " << std::strerror(errno));
        if (got == 0) break;
        total += got;
      }
    }
    return total;
  }

  bool gzipped() const { return gzipped_; }

 private:
  std::string path_;
  bool gzipped_ = false;
  gzFile gz_ = nullptr;
  std::FILE* file_ = nullptr;
};

IdxHeader read_header(ByteReader& reader, const std::string& path, int num_dims) {
  const uint32_t expected = idx_u8_magic(num_dims);
  unsigned char magic[4];
  const size_t got = reader.read(magic, 4);
  HWGQ_REQUIRE(got == 4, "IDX file " << path << " is truncated: " << got
                                     << " byte(s), too short for the 4-byte magic (expected " << hex32(expected)
                                     << ", " << describe_magic(num_dims) << ")");
  const uint32_t found = uint32_t(magic[0]) << 24 | uint32_t(magic[1]) << 16 | uint32_t(magic[2]) << 8 | magic[3];
  HWGQ_REQUIRE(found == expected, "IDX file " << path << " has magic " << hex32(found) << ", expected "
                                              << hex32(expected) << " (" << describe_magic(num_dims) << ")");
  IdxHeader header;
  header.type_code = magic[2];
  for (int d = 0; d < num_dims; ++d) {
    unsigned char size[4];
    const size_t n = reader.read(size, 4);
    HWGQ_REQUIRE(n == 4, "IDX file " << path << " is truncated inside its header: dimension " << d << " of "
                                     << num_dims << " is missing");
    const uint32_t value = uint32_t(size[0]) << 24 | uint32_t(size[1]) << 16 | uint32_t(size[2]) << 8 | size[3];
    HWGQ_REQUIRE(value <= uint32_t(INT_MAX),
                 "IDX file " << path << " has an implausible size " << value << " for dimension " << d);
    header.dims.push_back(static_cast<int>(value));
  }
  return header;
}

}  // namespace

uint32_t idx_u8_magic(int num_dims) { return 0x00000800u | static_cast<uint32_t>(num_dims); }

IdxHeader read_idx_header(const std::string& path, int num_dims) {
  ByteReader reader(path);
  return read_header(reader, path, num_dims);
}

IdxArray read_idx(const std::string& path, int num_dims) {
  ByteReader reader(path);
  IdxHeader header = read_header(reader, path, num_dims);
  uint64_t count = 1;
  for (int dim : header.dims) {
    count *= static_cast<uint64_t>(dim);
    // 2^40 bytes is far beyond any real data set; it only guards the product from overflow.
    HWGQ_REQUIRE(count < (uint64_t(1) << 40), "IDX file " << path << " declares an implausible size "
                                                          << shape_string(header.dims));
  }
  IdxArray array;
  array.dims = header.dims;
  // Grown as the data arrives rather than sized from the header up front, so that a
  // short file whose header declares terabytes fails as truncated instead of exhausting
  // memory.
  constexpr size_t kChunk = size_t(1) << 24;
  size_t got = 0;
  while (got < count) {
    const size_t want = std::min<size_t>(kChunk, static_cast<size_t>(count) - got);
    array.values.resize(got + want);
    const size_t read = reader.read(array.values.data() + got, want);
    got += read;
    if (read < want) break;
  }
  HWGQ_REQUIRE(got == count, "IDX file " << path << " is truncated: its header declares "
                                         << shape_string(header.dims) << " values, the file holds " << got);
  return array;
}

}  // namespace hwgq
