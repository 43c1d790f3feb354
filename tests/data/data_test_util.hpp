// Helpers for the data tests: a scratch folder removed afterwards, and writers for the
// small input files (IDX, plain or gzipped) the tests read back.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hwgq/blob.hpp"
#include "hwgq/data/image_io.hpp"

namespace hwgq::test {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hwgq_data_test_XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string path(const std::string& name) const { return path_ + "/" + name; }
  const std::string& root() const { return path_; }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes, bool gzip = false) {
  if (gzip) {
    gzFile file = gzopen(path.c_str(), "wb");
    ASSERT_NE(file, nullptr) << path;
    ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(file);
  } else {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << path;
  }
}

// The bytes of an unsigned-byte IDX file with the given dimensions and values.
inline std::string idx_bytes(const std::vector<int>& dims, const std::vector<uint8_t>& values) {
  std::string bytes;
  bytes += '\0';
  bytes += '\0';
  bytes += '\x08';
  bytes += static_cast<char>(dims.size());
  for (int dim : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((uint32_t(dim) >> shift) & 0xff);
  }
  bytes.append(values.begin(), values.end());
  return bytes;
}

inline void write_idx(const std::string& path, const std::vector<int>& dims, const std::vector<uint8_t>& values,
                      bool gzip = false) {
  write_bytes(path, idx_bytes(dims, values), gzip);
}

// A smooth test picture (JPEG keeps it close) that differs per seed and per channel.
inline Image make_image(int height, int width, int channels, int seed) {
  Image image;
  image.height = height;
  image.width = width;
  image.channels = channels;
  image.pixels.resize(size_t(height) * width * channels);
  for (int h = 0; h < height; ++h)
    for (int w = 0; w < width; ++w)
      for (int c = 0; c < channels; ++c)
        image.at(h, w, c) = static_cast<uint8_t>(
            std::min(255, seed * 23 % 64 + h * (4 + c) + w * (3 + seed % 4) + c * 30));
  return image;
}

// A data layer's tops after a forward: the data values, then the labels.
inline std::vector<float> batch_contents(const Blob& data, const Blob& label) {
  std::vector<float> contents(data.cpu_data(), data.cpu_data() + data.count());
  contents.insert(contents.end(), label.cpu_data(), label.cpu_data() + label.count());
  return contents;
}

}  // namespace hwgq::test
