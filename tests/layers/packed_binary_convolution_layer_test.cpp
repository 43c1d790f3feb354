#include "hwgq/layers/packed_binary_convolution_layer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "hwgq/kernels/cpu_features.hpp"
#include "hwgq/layer_registry.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/util/io.hpp"
#include "packed_binary_layer_test_util.hpp"

namespace hwgq {
namespace {

LayerParameter layer_param(const std::string& type, const std::string& text) {
  LayerParameter param;
  parse_text_proto("name: \"c\" type: \"" + type + "\" " + text, "test", &param);
  return param;
}

struct Case {
  std::string conv;
  std::vector<int> input;
};

const std::vector<Case> kCases = {
    {"num_output: 12 kernel_size: 3 pad: 1", {2, 13, 7, 6}},
    {"num_output: 10 kernel_size: 3 stride: 2 pad: 1 group: 2", {1, 130, 9, 9}},
    {"num_output: 16 kernel_h: 3 kernel_w: 1 pad_h: 2 pad_w: 0 dilation: 2", {3, 64, 8, 5}},
    {"num_output: 8 kernel_size: 1", {1, 65, 4, 4}},
    {"num_output: 9 kernel_size: 5 stride: 2 pad: 2", {1, 63, 11, 10}},
};

// BinaryConvolution on the Quant output vs PackedBinaryConvolution with the same weights.
TEST(PackedBinaryConvolutionLayer, EqualsBinaryConvolutionOnQuantOutputs) {
  uint32_t seed = 11;
  for (const Case& c : kCases) {
    for (const auto& levels : test::packed_test_level_sets()) {
      for (bool use_alpha : {true, false}) {
        ++seed;
        const bool bias = seed % 2 == 0;
        const std::string conv = "convolution_param { " + c.conv + (bias ? "" : " bias_term: false") +
                                 " weight_filler { type: \"gaussian\" std: 1 }"
                                 " bias_filler { type: \"uniform\" min: -2 max: 2 } }"
                                 " binary_convolution_param { use_alpha: " +
                                 (use_alpha ? "true" : "false") + " }";
        SCOPED_TRACE(conv + " " + test::centers_text(levels));
        Blob x(c.input), y_float, y_packed;
        test::quantized_input(levels, seed, &x);
        BinaryConvolutionLayer binary(layer_param("BinaryConvolution", conv));
        binary.setup({&x}, {&y_float});
        binary.forward({&x}, {&y_float});

        PackedBinaryConvolutionLayer packed(layer_param("PackedBinaryConvolution", conv + " " + test::centers_text(levels)));
        packed.setup({&x}, {&y_packed});
        ASSERT_EQ(packed.blobs().size(), bias ? 1u : 0u);
        packed.set_packed_weights(
            PackedBinaryConvolutionLayer::pack_from(*binary.blobs()[0], binary.group(), use_alpha));
        if (bias) {
          const Blob& b = *binary.blobs()[1];
          std::copy(b.cpu_data(), b.cpu_data() + b.count(), packed.blobs()[0]->mutable_cpu_data());
        }
        packed.forward({&x}, {&y_packed});

        // sum |terms| = the convolution of x (>= 0) with |W_b| = alpha.
        ConvolutionLayer magnitude_conv(layer_param("Convolution", "convolution_param { " + c.conv + " bias_term: false }"));
        Blob magnitude;
        magnitude_conv.setup({&x}, {&magnitude});
        const Blob& wb = binary.binarized_weights();
        for (int i = 0; i < wb.count(); ++i) magnitude_conv.blobs()[0]->mutable_cpu_data()[i] = std::fabs(wb.cpu_data()[i]);
        magnitude_conv.forward({&x}, {&magnitude});
        test::expect_within_float_accumulation(
            y_packed, y_float, std::vector<float>(magnitude.cpu_data(), magnitude.cpu_data() + magnitude.count()),
            bias ? binary.blobs()[1]->cpu_data() : nullptr, y_float.count(2), y_float.shape(1), wb.count(1));

        // Every instruction set gives the same bits.
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

const char* kSmall =
    "convolution_param { num_output: 4 kernel_size: 3 pad: 1 group: 2 } quant_param { centers: 1 centers: 2 }";

TEST(PackedBinaryConvolutionLayer, SetsUpBeforeWeightsAndRefusesToRunWithout) {
  auto layer = create_layer(layer_param("PackedBinaryConvolution", kSmall));
  EXPECT_STREQ(layer->type(), "PackedBinaryConvolution");
  Blob x({2, 6, 5, 4}), y;
  layer->setup({&x}, {&y});
  EXPECT_EQ(y.shape(), (std::vector<int>{2, 4, 5, 4}));
  ASSERT_EQ(layer->blobs().size(), 1u);
  EXPECT_EQ(layer->blobs()[0]->shape(), std::vector<int>{4});
  try {
    layer->forward({&x}, {&y});
    ADD_FAILURE() << "forward ran without weights";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("packed weights"), std::string::npos) << e.what();
  }
  auto& packed = dynamic_cast<PackedBinaryConvolutionLayer&>(*layer);
  EXPECT_EQ(packed.input_levels().encoding(), kernels::ActivationLevels::Encoding::kBitSerial);
  Blob w({4, 3, 3, 3});
  packed.set_packed_weights(PackedBinaryConvolutionLayer::pack_from(w, 2, false));
  layer->forward({&x}, {&y});  // zeros are valid inputs
  EXPECT_THROW(layer->backward({&y}, {true}, {&x}), Error);
}

TEST(PackedBinaryConvolutionLayer, RejectsWeightsOfOtherShapes) {
  PackedBinaryConvolutionLayer layer(layer_param("PackedBinaryConvolution", kSmall));
  // Before setup: output count, kernel and group are known from the prototxt.
  EXPECT_THROW(layer.set_packed_weights(PackedBinaryConvolutionLayer::pack_from(Blob({6, 3, 3, 3}), 2, false)), Error);
  EXPECT_THROW(layer.set_packed_weights(PackedBinaryConvolutionLayer::pack_from(Blob({4, 3, 1, 3}), 2, false)), Error);
  EXPECT_THROW(layer.set_packed_weights(PackedBinaryConvolutionLayer::pack_from(Blob({4, 6, 3, 3}), 1, false)), Error);
  // Channels per group (5) only clash with the bottom (6 channels, 3 per group) at setup.
  layer.set_packed_weights(PackedBinaryConvolutionLayer::pack_from(Blob({4, 5, 3, 3}), 2, false));
  Blob x({1, 6, 5, 5}), y;
  EXPECT_THROW(layer.setup({&x}, {&y}), Error);
  PackedBinaryConvolutionLayer set_up(layer_param("PackedBinaryConvolution", kSmall));
  set_up.setup({&x}, {&y});
  EXPECT_THROW(set_up.set_packed_weights(PackedBinaryConvolutionLayer::pack_from(Blob({4, 5, 3, 3}), 2, false)), Error);
  kernels::PackedBinaryWeights broken = PackedBinaryConvolutionLayer::pack_from(Blob({4, 3, 3, 3}), 2, false);
  broken.alpha.pop_back();
  EXPECT_THROW(set_up.set_packed_weights(broken), Error);
  EXPECT_FALSE(set_up.has_packed_weights());
}

TEST(PackedBinaryConvolutionLayer, RejectsInputsOffTheLevelsAndBadParameters) {
  PackedBinaryConvolutionLayer layer(layer_param("PackedBinaryConvolution", kSmall));
  Blob x({1, 6, 5, 5}), y;
  layer.setup({&x}, {&y});
  layer.set_packed_weights(PackedBinaryConvolutionLayer::pack_from(Blob({4, 3, 3, 3}), 2, false));
  x.mutable_cpu_data()[17] = 1.5f;
  try {
    layer.forward({&x}, {&y});
    ADD_FAILURE() << "accepted 1.5 with levels 1, 2";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("value 1.5"), std::string::npos) << e.what();
  }
  PackedBinaryConvolutionLayer no_levels(
      layer_param("PackedBinaryConvolution", "convolution_param { num_output: 4 kernel_size: 3 }"));
  try {
    no_levels.setup({&x}, {&y});
    ADD_FAILURE() << "set up without quant_param.centers";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("centers"), std::string::npos) << e.what();
  }
  PackedBinaryConvolutionLayer descending(layer_param(
      "PackedBinaryConvolution", "convolution_param { num_output: 4 kernel_size: 3 } quant_param { centers: 2 centers: 1 }"));
  EXPECT_THROW(descending.setup({&x}, {&y}), Error);
  // A BinaryConvolution's loaded float weights do not belong in the packed layer.
  LayerParameter loaded = layer_param("PackedBinaryConvolution", kSmall);
  Blob({4, 3, 3, 3}).to_proto(loaded.add_blobs());
  Blob({4}).to_proto(loaded.add_blobs());
  PackedBinaryConvolutionLayer with_float_weights(loaded);
  EXPECT_THROW(with_float_weights.setup({&x}, {&y}), Error);
}

}  // namespace
}  // namespace hwgq
