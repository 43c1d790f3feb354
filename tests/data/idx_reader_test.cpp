#include "hwgq/data/idx_reader.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "data/data_test_util.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<uint8_t> iota_bytes(int n) {
  std::vector<uint8_t> values(n);
  for (int i = 0; i < n; ++i) values[i] = static_cast<uint8_t>(i * 7 + 3);
  return values;
}

TEST(IdxReader, ReadsPlainAndGzippedAlike) {
  test::ScratchDir dir;
  const auto values = iota_bytes(2 * 3 * 4);
  test::write_idx(dir.path("plain"), {2, 3, 4}, values);
  test::write_idx(dir.path("packed.gz"), {2, 3, 4}, values, true);
  for (const char* name : {"plain", "packed.gz"}) {
    const IdxArray array = read_idx_images(dir.path(name));
    EXPECT_EQ(array.dims, (std::vector<int>{2, 3, 4})) << name;
    EXPECT_EQ(array.values, values) << name;
  }
  const IdxHeader header = read_idx_header(dir.path("packed.gz"), 3);
  EXPECT_EQ(header.type_code, 0x08);
  EXPECT_EQ(header.dims, (std::vector<int>{2, 3, 4}));
}

TEST(IdxReader, GzipIsRecognisedByContentNotName) {
  test::ScratchDir dir;
  test::write_idx(dir.path("labels-idx1-ubyte"), {5}, iota_bytes(5), true);
  EXPECT_EQ(read_idx_labels(dir.path("labels-idx1-ubyte")).values, iota_bytes(5));
}

TEST(IdxReader, MissingFileNamesThePath) {
  const std::string message = error_of([] { read_idx_images("/nonexistent/hwgq/images.idx"); });
  EXPECT_NE(message.find("/nonexistent/hwgq/images.idx"), std::string::npos) << message;
  EXPECT_NE(message.find("not found"), std::string::npos) << message;
}

TEST(IdxReader, BadMagicNamesPathAndExpectedMagic) {
  test::ScratchDir dir;
  test::write_idx(dir.path("labels"), {4}, iota_bytes(4));
  std::string message = error_of([&] { read_idx_images(dir.path("labels")); });
  EXPECT_NE(message.find(dir.path("labels")), std::string::npos) << message;
  EXPECT_NE(message.find("0x00000801"), std::string::npos) << message;
  EXPECT_NE(message.find("expected 0x00000803"), std::string::npos) << message;

  test::write_bytes(dir.path("text.gz"), "hello, not an idx file", true);
  message = error_of([&] { read_idx_labels(dir.path("text.gz")); });
  EXPECT_NE(message.find("expected 0x00000801"), std::string::npos) << message;
}

TEST(IdxReader, TruncatedFilesAreReported) {
  test::ScratchDir dir;
  std::string bytes = test::idx_bytes({3, 2, 2}, iota_bytes(12));
  for (bool gzip : {false, true}) {
    const std::string short_values = dir.path(gzip ? "values.gz" : "values");
    test::write_bytes(short_values, bytes.substr(0, bytes.size() - 5), gzip);
    std::string message = error_of([&] { read_idx_images(short_values); });
    EXPECT_NE(message.find(short_values), std::string::npos) << message;
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
    EXPECT_NE(message.find("holds 7"), std::string::npos) << message;

    const std::string short_header = dir.path(gzip ? "header.gz" : "header");
    test::write_bytes(short_header, bytes.substr(0, 9), gzip);
    message = error_of([&] { read_idx_header(short_header, 3); });
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;

    const std::string empty = dir.path(gzip ? "empty.gz" : "empty");
    test::write_bytes(empty, "", gzip);
    message = error_of([&] { read_idx_labels(empty); });
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  }
}

// The real Fashion-MNIST files, where the machine has them: check the headers (cheap) and
// read the small test-set labels in full.
TEST(IdxReader, FashionMnistHeaders) {
  const std::string root = "/usr/share/datasets/fashion-mnist/";
  if (!file_exists(root + "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST under " << root;
  EXPECT_EQ(read_idx_header(root + "train-images-idx3-ubyte.gz", 3).dims, (std::vector<int>{60000, 28, 28}));
  EXPECT_EQ(read_idx_header(root + "train-labels-idx1-ubyte.gz", 1).dims, (std::vector<int>{60000}));
  EXPECT_EQ(read_idx_header(root + "t10k-images-idx3-ubyte.gz", 3).dims, (std::vector<int>{10000, 28, 28}));
  const IdxArray labels = read_idx_labels(root + "t10k-labels-idx1-ubyte.gz");
  ASSERT_EQ(labels.values.size(), 10000u);
  std::vector<int> per_class(10, 0);
  for (uint8_t label : labels.values) {
    ASSERT_LT(label, 10);
    ++per_class[label];
  }
  // Fashion-MNIST's test set is balanced: 1000 of each class.
  for (int count : per_class) EXPECT_EQ(count, 1000);
}

}  // namespace
}  // namespace hwgq
