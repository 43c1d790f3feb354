// Reading IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic (two zero
// bytes, a value-type code, the number of dimensions), one big-endian 32-bit size per
// dimension, then the values in row-major order. Files may be gzipped (recognised by the
// gzip magic bytes, not by the name). Only unsigned-byte values (type code 0x08) are read,
// since that is what every image/label IDX file in use holds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwgq {

struct IdxHeader {
  uint8_t type_code = 0;
  std::vector<int> dims;
};

// A whole IDX file held in memory.
struct IdxArray {
  std::vector<int> dims;
  std::vector<uint8_t> values;  // product(dims) bytes, row-major
};

// The magic of an unsigned-byte IDX file with `num_dims` dimensions: 0x00000801 for
// labels (1 dimension), 0x00000803 for images (N x rows x cols).
uint32_t idx_u8_magic(int num_dims);

// Reads only the magic and the dimensions, checking that the file is an unsigned-byte
// IDX file with `num_dims` dimensions. Raises hwgq::Error naming the path when the file is
// missing, truncated or has another magic.
IdxHeader read_idx_header(const std::string& path, int num_dims);

// Reads a whole unsigned-byte IDX file with `num_dims` dimensions; errors as above, and a
// file holding fewer values than its header promises is reported as truncated.
IdxArray read_idx(const std::string& path, int num_dims);

inline IdxArray read_idx_images(const std::string& path) { return read_idx(path, 3); }
inline IdxArray read_idx_labels(const std::string& path) { return read_idx(path, 1); }

}  // namespace hwgq
