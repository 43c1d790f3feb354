#include "hwgq/layers/packed_binary_inner_product_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "hwgq/kernels/cpu_features.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/util/io.hpp"
#include "packed_binary_layer_test_util.hpp"

namespace hwgq {
namespace {

LayerParameter layer_param(const std::string& type, const std::string& text) {
  LayerParameter param;
  parse_text_proto("name: \"fc\" type: \"" + type + "\" " + text, "test", &param);
  return param;
}

struct Case {
  std::string ip;
  std::vector<int> input;
};

// K = 13, 63, 64, 65, 130, 600 inputs; axis 1 and 2.
const std::vector<Case> kCases = {
    {"num_output: 7", {3, 13}},          {"num_output: 10", {1, 63}},
    {"num_output: 8", {2, 64}},          {"num_output: 17", {4, 5, 13}},
    {"num_output: 6 axis: 2", {2, 3, 65}}, {"num_output: 33", {5, 2, 5, 13}},
    {"num_output: 12", {2, 600}},
};

TEST(PackedBinaryInnerProductLayer, EqualsBinaryInnerProductOnQuantOutputs) {
  uint32_t seed = 5;
  for (const Case& c : kCases) {
    for (const auto& levels : test::packed_test_level_sets()) {
      for (bool use_alpha : {true, false}) {
        ++seed;
        const bool bias = seed % 2 == 1;
        const std::string ip = "inner_product_param { " + c.ip + (bias ? "" : " bias_term: false") +
                               " weight_filler { type: \"gaussian\" std: 1 }"
                               " bias_filler { type: \"uniform\" min: -2 max: 2 } }"
                               " binary_inner_product_param { use_alpha: " +
                               (use_alpha ? "true" : "false") + " }";
        SCOPED_TRACE(ip + " " + test::centers_text(levels));
        Blob x(c.input), y_float, y_packed;
        test::quantized_input(levels, seed, &x);
        BinaryInnerProductLayer binary(layer_param("BinaryInnerProduct", ip));
        binary.setup({&x}, {&y_float});
        binary.forward({&x}, {&y_float});

        PackedBinaryInnerProductLayer packed(layer_param("PackedBinaryInnerProduct", ip + " " + test::centers_text(levels)));
        packed.setup({&x}, {&y_packed});
        packed.set_packed_weights(PackedBinaryInnerProductLayer::pack_from(*binary.blobs()[0], 1, use_alpha));
        if (bias) {
          const Blob& b = *binary.blobs()[1];
          std::copy(b.cpu_data(), b.cpu_data() + b.count(), packed.blobs()[0]->mutable_cpu_data());
        }
        packed.forward({&x}, {&y_packed});

        // sum |terms| of output (m, o) = alpha_o * sum_k x[m, k] (x >= 0).
        const Blob& wb = binary.binarized_weights();
        const int k = binary.input_size(), n = binary.num_output(), m = x.count() / k;
        std::vector<float> magnitude(size_t(m) * n);
        for (int i = 0; i < m; ++i) {
          double sum = 0;
          for (int j = 0; j < k; ++j) sum += x.cpu_data()[size_t(i) * k + j];
          for (int o = 0; o < n; ++o) magnitude[size_t(i) * n + o] = float(std::fabs(wb.cpu_data()[size_t(o) * k]) * sum);
        }
        test::expect_within_float_accumulation(y_packed, y_float, magnitude,
                                               bias ? binary.blobs()[1]->cpu_data() : nullptr, 1, n, k);

        const std::vector<float> first(y_packed.cpu_data(), y_packed.cpu_data() + y_packed.count());
        for (kernels::Isa isa : kernels::supported_isas()) {
          kernels::ScopedIsa forced(isa);
          packed.forward({&x}, {&y_packed});
          ASSERT_EQ(0, std::memcmp(first.data(), y_packed.cpu_data(), first.size() * sizeof(float)))
              << kernels::isa_name(isa);
        }
      }
    }
  }
}

const char* kSmall = "inner_product_param { num_output: 3 } quant_param { centers: 0.453 centers: 1.51 }";

TEST(PackedBinaryInnerProductLayer, SetsUpBeforeWeightsAndRefusesToRunWithout) {
  auto layer = create_layer(layer_param("PackedBinaryInnerProduct", kSmall));
  EXPECT_STREQ(layer->type(), "PackedBinaryInnerProduct");
  Blob x({2, 4, 5}), y;
  layer->setup({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{2, 3}));
  ASSERT_EQ(layer->blobs().size(), 1u);
  EXPECT_THROW(layer->forward({&x}, {&y}), Error);
  auto& packed = dynamic_cast<PackedBinaryInnerProductLayer&>(*layer);
  EXPECT_EQ(packed.input_levels().encoding(), kernels::ActivationLevels::Encoding::kThermometer);
  packed.set_packed_weights(PackedBinaryInnerProductLayer::pack_from(Blob({3, 20}), 1, true));
  layer->forward({&x}, {&y});
  EXPECT_THROW(layer->backward({&y}, {true}, {&x}), Error);
}

TEST(PackedBinaryInnerProductLayer, RejectsMismatchesAndBadInputs) {
  PackedBinaryInnerProductLayer layer(layer_param("PackedBinaryInnerProduct", kSmall));
  EXPECT_THROW(layer.set_packed_weights(PackedBinaryInnerProductLayer::pack_from(Blob({4, 20}), 1, false)), Error);
  EXPECT_THROW(PackedBinaryInnerProductLayer::pack_from(Blob({3, 20}), 2, false), Error);
  EXPECT_THROW(PackedBinaryInnerProductLayer::pack_from(Blob({3, 4, 5}), 1, false), Error);
  Blob x({2, 20}), y;
  layer.set_packed_weights(PackedBinaryInnerProductLayer::pack_from(Blob({3, 21}), 1, false));
  EXPECT_THROW(layer.setup({&x}, {&y}), Error);
  PackedBinaryInnerProductLayer ok(layer_param("PackedBinaryInnerProduct", kSmall));
  ok.setup({&x}, {&y});
  ok.set_packed_weights(PackedBinaryInnerProductLayer::pack_from(Blob({3, 20}), 1, false));
  x.mutable_cpu_data()[33] = std::nanf("");
  try {
    ok.forward({&x}, {&y});
    ADD_FAILURE() << "accepted NaN";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("value nan"), std::string::npos) << e.what();
  }
  PackedBinaryInnerProductLayer transposed(
      layer_param("PackedBinaryInnerProduct", "inner_product_param { num_output: 3 transpose: true } quant_param { centers: 1 }"));
  EXPECT_THROW(transposed.setup({&x}, {&y}), Error);
}

}  // namespace
}  // namespace hwgq
