// The layer table against the rest of the tree: every registered type builds a layer that
// reports that type, is documented in docs/layers.md and has its own test file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "hwgq/layer_registry.hpp"

namespace hwgq {
namespace {

const std::string kSourceDir = HWGQ_SOURCE_DIR;

// "SoftmaxWithLoss" -> "softmax_with_loss", "IdxData" -> "idx_data"; runs of capitals
// stay one word ("ReLU" -> "relu", "LRN" -> "lrn", "TanH" -> "tanh"), as the file names do.
std::string snake_case(const std::string& type) {
  std::string out;
  for (size_t i = 0; i < type.size(); ++i) {
    const unsigned char c = type[i];
    const bool word_start = i > 0 && std::isupper(c) && std::islower((unsigned char)type[i - 1]) &&
                            i + 1 < type.size() && std::islower((unsigned char)type[i + 1]);
    if (word_start) out += '_';
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// The types named (in backquotes) in the first cell of each table row of docs/layers.md.
std::set<std::string> documented_types() {
  std::ifstream in(kSourceDir + "/docs/layers.md");
  EXPECT_TRUE(in) << "cannot read docs/layers.md";
  std::set<std::string> types;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string cell = line.substr(1, line.find('|', 1) - 1);
    for (size_t open = cell.find('`'); open != std::string::npos; open = cell.find('`', open)) {
      const size_t close = cell.find('`', open + 1);
      if (close == std::string::npos) break;
      types.insert(cell.substr(open + 1, close - open - 1));
      open = close + 1;
    }
  }
  return types;
}

TEST(LayerRegistry, SnakeCaseMatchesFileNames) {
  EXPECT_EQ(snake_case("SoftmaxWithLoss"), "softmax_with_loss");
  EXPECT_EQ(snake_case("IdxData"), "idx_data");
  EXPECT_EQ(snake_case("ReLU"), "relu");
  EXPECT_EQ(snake_case("TanH"), "tanh");
  EXPECT_EQ(snake_case("LRN"), "lrn");
  EXPECT_EQ(snake_case("PackedBinaryInnerProduct"), "packed_binary_inner_product");
}

TEST(LayerRegistry, EveryTypeCreatesALayerOfThatType) {
  std::set<std::string> seen;
  for (const LayerEntry& entry : layer_table()) {
    EXPECT_TRUE(seen.insert(entry.type).second) << "type registered twice: " << entry.type;
    LayerParameter param;
    param.set_name("probe");
    param.set_type(entry.type);
    const std::unique_ptr<Layer> layer = create_layer(param);
    ASSERT_NE(layer, nullptr) << entry.type;
    EXPECT_STREQ(layer->type(), entry.type);
  }
}

// The table's types: types registered at run time (the Python layer) are documented and
// tested where they are built.
TEST(LayerRegistry, EveryTypeIsDocumented) {
  const std::set<std::string> documented = documented_types();
  ASSERT_FALSE(documented.empty());
  EXPECT_TRUE(documented.count("Python")) << "docs/layers.md has no table row for `Python`";
  for (const LayerEntry& entry : layer_table()) {
    const std::string type = entry.type;
    EXPECT_TRUE(documented.count(type)) << "docs/layers.md has no table row for `" << type << "`";
  }
}

TEST(LayerRegistry, EveryTypeHasATestFile) {
  for (const LayerEntry& entry : layer_table()) {
    const std::string type = entry.type;
    const std::string path = kSourceDir + "/tests/layers/" + snake_case(type) + "_layer_test.cpp";
    EXPECT_TRUE(std::filesystem::is_regular_file(path)) << type << " has no test file " << path;
  }
}

TEST(LayerRegistry, UnknownTypeListsTheKnownOnes) {
  LayerParameter param;
  param.set_name("mystery");
  param.set_type("NoSuchLayer");
  try {
    create_layer(param);
    FAIL() << "expected hwgq::Error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("\"NoSuchLayer\""), std::string::npos) << message;
    EXPECT_NE(message.find("Convolution"), std::string::npos) << message;
  }
}

// A layer type added at run time, as the Python module adds "Python".
class RegisteredForTestLayer : public TypedLayer<RegisteredForTestLayer> {
 public:
  static constexpr const char* kType = "RegisteredForTest";
  using TypedLayer::TypedLayer;
  void reshape(const BlobVec&, const BlobVec&) override {}

 protected:
  void forward_cpu(const BlobVec&, const BlobVec&) override {}
  void backward_cpu(const BlobVec&, const std::vector<bool>&, const BlobVec&) override {}
};

std::unique_ptr<Layer> make_other(const LayerParameter& param) {
  return std::make_unique<RegisteredForTestLayer>(param);
}

TEST(LayerRegistry, RegisteredTypesAreCreatedAndListed) {
  register_layer_type(layer_entry<RegisteredForTestLayer>());
  register_layer_type(layer_entry<RegisteredForTestLayer>());  // the same entry again: no-op
  LayerParameter param;
  param.set_name("probe");
  param.set_type("RegisteredForTest");
  EXPECT_STREQ(create_layer(param)->type(), "RegisteredForTest");
  const std::vector<std::string> known = known_layer_types();
  EXPECT_EQ(std::count(known.begin(), known.end(), "RegisteredForTest"), 1);
  // Another factory under a taken name, or a table type, is refused.
  EXPECT_THROW(register_layer_type({"RegisteredForTest", make_other}), Error);
  EXPECT_THROW(register_layer_type({"Convolution", make_other}), Error);
}

TEST(LayerRegistry, PythonWithoutThePythonPartSaysWhereItComesFrom) {
  LayerParameter param;
  param.set_name("py");
  param.set_type("Python");
  try {
    create_layer(param);
    FAIL() << "expected hwgq::Error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("HWGQ_PYTHON"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace hwgq
