// IDX files (MNIST, Fashion-MNIST), plain or gzipped: the input is the file, read as
// labels (1 dimension), images (3) and by the header-only reader.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/idx_reader.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hwgq::fuzz::init_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hwgq::fuzz::ScratchFile file("input.idx");
  file.write(data, size);
  for (int dims : {1, 3}) {
    try {
      hwgq::read_idx_header(file.path(), dims);
    } catch (const hwgq::Error&) {
    }
    try {
      hwgq::read_idx(file.path(), dims);
    } catch (const hwgq::Error&) {
    }
  }
  return 0;
}
