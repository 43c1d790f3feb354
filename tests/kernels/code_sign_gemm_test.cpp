// code_sign_gemm: every kernel this CPU runs against a plain integer product (bit for bit,
// on shapes whose depth, rows and columns miss every block size), the packing routines
// against im2col and binarize_rows, and the code map against its boundaries.
#include "hwgq/kernels/code_sign_gemm.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "hwgq/common.hpp"
#include "hwgq/math/im2col.hpp"
#include "hwgq/quant/binarize.hpp"

namespace hwgq::kernels {
namespace {

std::vector<float> gaussian(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> out(n);
  for (auto& v : out) v = dist(gen);
  return out;
}

std::vector<uint8_t> random_codes(size_t n, int max_code, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0, max_code);
  std::vector<uint8_t> out(n);
  for (auto& v : out) v = static_cast<uint8_t>(dist(gen));
  return out;
}

struct GemmShape {
  int rows, columns, depth;
};

TEST(CodeSignGemm, EveryKernelEqualsThePlainIntegerProduct) {
  const std::vector<GemmShape> shapes = {{1, 1, 1},     {5, 17, 3},    {7, 33, 65},    {13, 31, 130},
                                         {6, 32, 64},   {4, 16, 4},    {97, 50, 257},  {200, 70, 1001},
                                         {11, 100, 27}, {193, 3, 513}, {25, 129, 75},  {33, 47, 640},
                                         {32, 32, 128}};
  for (int max_code : {3, 255}) {
    for (const GemmShape& s : shapes) {
      const std::vector<float> w = gaussian(static_cast<size_t>(s.rows) * s.depth, 7 + s.rows);
      const std::vector<uint8_t> x = random_codes(static_cast<size_t>(s.columns) * s.depth, max_code, 11 + s.depth);
      PackedSigns signs;
      pack_signs(w.data(), s.rows, s.depth, false, &signs, nullptr);
      PackedCodes codes;
      pack_matrix_codes(x.data(), s.columns, s.depth, &codes);
      std::vector<int32_t> expected(static_cast<size_t>(s.rows) * s.columns);
      for (int m = 0; m < s.rows; ++m) {
        for (int n = 0; n < s.columns; ++n) {
          int64_t sum = 0;
          for (int k = 0; k < s.depth; ++k) sum += (w[m * s.depth + k] >= 0.f ? 1 : -1) * int(x[n * s.depth + k]);
          expected[m * s.columns + n] = static_cast<int32_t>(sum);
        }
      }
      for (CodeSignKernel kernel : supported_code_sign_kernels()) {
        const char* name = code_sign_kernel_name(kernel);
        for (bool parallel : {false, true}) {
          // A wider ldc than the columns: the kernels must not write past them.
          const size_t ldc = s.columns + 3;
          std::vector<int32_t> c(s.rows * ldc, -7);
          code_sign_gemm_with(kernel, signs, codes, c.data(), ldc, parallel);
          for (int m = 0; m < s.rows; ++m) {
            for (int n = 0; n < s.columns; ++n) {
              ASSERT_EQ(c[m * ldc + n], expected[m * s.columns + n])
                  << name << " " << s.rows << "x" << s.columns << "x" << s.depth << " max code " << max_code << " at "
                  << m << "," << n;
            }
            for (size_t n = s.columns; n < ldc; ++n) ASSERT_EQ(c[m * ldc + n], -7) << name << " wrote past a row";
          }
        }
      }
    }
  }
}

TEST(CodeSignGemm, RefusesDifferentDepths) {
  PackedSigns signs;
  const std::vector<float> w(2 * 5, 1.f);
  pack_signs(w.data(), 2, 5, false, &signs, nullptr);
  PackedCodes codes;
  const std::vector<uint8_t> x(3 * 6, 1);
  pack_matrix_codes(x.data(), 3, 6, &codes);
  std::vector<int32_t> c(6);
  EXPECT_THROW(code_sign_gemm(signs, codes, c.data(), 3, false), Error);
}

TEST(CodeSignGemm, PackSignsMatchesBinarizeRowsBitForBit) {
  for (bool use_alpha : {false, true}) {
    const int rows = 9, depth = 37;
    std::vector<float> w = gaussian(rows * depth, 3);
    w[5] = 0.f;
    w[6] = -0.f;
    std::vector<float> expected(w.size()), expected_alphas(rows);
    binarize_rows(w.data(), rows, depth, use_alpha, expected.data(), expected_alphas.data());
    PackedSigns signs;
    std::vector<float> binarized(w.size());
    pack_signs(w.data(), rows, depth, use_alpha, &signs, binarized.data());
    ASSERT_EQ(signs.padded_depth, 40);
    ASSERT_EQ(signs.row_stride, 64);
    // Rows rounded up to 16 with zero rows, each padded with zeros to its stride.
    ASSERT_EQ(signs.data.size(), 16u * 64u);
    for (int i = 0; i < 16; ++i) {
      if (i < rows) {
        EXPECT_EQ(signs.alphas[i], expected_alphas[i]);
      }
      for (int j = 0; j < 64; ++j) {
        const int expected_sign = i < rows && j < depth ? (w[i * depth + j] >= 0.f ? 1 : -1) : 0;
        EXPECT_EQ(signs.data[i * 64 + j], expected_sign) << i << "," << j;
        if (i < rows && j < depth) {
          EXPECT_EQ(binarized[i * depth + j], expected[i * depth + j]);
        }
      }
    }
  }
}

// The code of (k, n) in the documented layout.
int packed_code(const PackedCodes& p, int k, int n) {
  return p.data[((n / kPanelColumns) * p.groups + k / kDepthGroup) * kDepthGroup * kPanelColumns +
                (n % kPanelColumns) * kDepthGroup + k % kDepthGroup];
}

TEST(CodeSignGemm, ConvCodesEqualIm2colOfTheCodes) {
  struct ConvShape {
    int c, h, w, kh, kw, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
  };
  const std::vector<ConvShape> shapes = {{3, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {5, 9, 8, 3, 2, 2, 3, 1, 2, 1, 1, 1},
                                         {4, 6, 6, 1, 1, 1, 1, 0, 0, 1, 1, 2}, {6, 11, 10, 5, 5, 2, 2, 2, 2, 1, 1, 3},
                                         {2, 8, 9, 3, 3, 1, 2, 2, 0, 2, 2, 1}, {3, 4, 4, 4, 4, 1, 1, 3, 3, 1, 1, 1}};
  for (const ConvShape& s : shapes) {
    Conv2dGeometry g{s.c, s.h, s.w, s.kh, s.kw, s.pad_h, s.pad_w, s.stride_h, s.stride_w, s.dil_h, s.dil_w};
    const std::vector<uint8_t> image = random_codes(static_cast<size_t>(s.c) * s.h * s.w, 3, 5 + s.c);
    const int cg = s.c / s.groups;
    for (int group = 0; group < s.groups; ++group) {
      Conv2dGeometry sub = g;
      sub.channels = cg;
      std::vector<float> image_f(static_cast<size_t>(cg) * s.h * s.w);
      for (size_t i = 0; i < image_f.size(); ++i) image_f[i] = image[group * image_f.size() + i];
      const int pixels = g.out_height() * g.out_width();
      const int depth = cg * s.kh * s.kw;
      std::vector<float> columns(static_cast<size_t>(depth) * pixels);
      im2col(image_f.data(), sub, columns.data());
      PackedCodes packed;
      pack_conv_codes(image.data(), g, group * cg, cg, &packed);
      ASSERT_EQ(packed.depth, depth);
      ASSERT_EQ(packed.columns, pixels);
      for (int k = 0; k < packed.groups * kDepthGroup; ++k) {
        for (int n = 0; n < packed.panels * kPanelColumns; ++n) {
          const int want = k < depth && n < pixels ? static_cast<int>(columns[k * pixels + n]) : 0;
          ASSERT_EQ(packed_code(packed, k, n), want) << "k " << k << " n " << n << " group " << group;
        }
      }
    }
  }
}

TEST(CodeSignGemm, UniformCodesAcceptOnlyUniformLevels) {
  LevelCodes codes;
  ASSERT_TRUE(uniform_codes({0.538f, 1.076f, 1.614f}, &codes));
  EXPECT_EQ(codes.step, 0.538f);
  EXPECT_EQ(codes.max_code(), 3);
  EXPECT_TRUE(uniform_codes({0.5f}, &codes));
  EXPECT_TRUE(uniform_codes({0.25f, 0.5f, 0.75f, 1.f, 1.25f, 1.5f, 1.75f}, &codes));
  EXPECT_FALSE(uniform_codes({0.453f, 1.51f}, &codes));
  EXPECT_FALSE(uniform_codes({0.538f, 1.076f, 1.615f}, &codes));
  EXPECT_FALSE(uniform_codes({}, &codes));
}

TEST(CodeSignGemm, MapCodesAcceptsZeroAndLevelsOnly) {
  LevelCodes codes;
  ASSERT_TRUE(uniform_codes({0.538f, 1.076f, 1.614f}, &codes));
  const std::vector<float> good = {0.f, -0.f, 0.538f, 1.076f, 1.614f, 0.538f};
  std::vector<uint8_t> out(good.size());
  ASSERT_TRUE(map_codes(good.data(), good.size(), codes, out.data()));
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 0, 1, 2, 3, 1}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (float bad : {nan, -0.538f, 0.27f, std::nextafter(1.076f, 2.f), 2.152f, std::numeric_limits<float>::infinity(),
                    1e-30f}) {
    const std::vector<float> x = {0.538f, bad};
    std::vector<uint8_t> o(2);
    EXPECT_FALSE(map_codes(x.data(), x.size(), codes, o.data())) << bad;
  }
}

// Long enough for the 16-value steps of the 2-bit path and a tail after them: every value
// mapped, and one bad value anywhere (in a step or in the tail) fails the whole map.
TEST(CodeSignGemm, MapCodesChecksEveryValueOfALongRow) {
  LevelCodes codes;
  ASSERT_TRUE(uniform_codes({0.538f, 1.076f, 1.614f}, &codes));
  std::vector<float> x(37);
  std::vector<uint8_t> expected(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    expected[i] = static_cast<uint8_t>(i % 4);
    x[i] = codes.values[expected[i]];
  }
  std::vector<uint8_t> out(x.size());
  ASSERT_TRUE(map_codes(x.data(), x.size(), codes, out.data()));
  EXPECT_EQ(out, expected);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (float bad : {nan, -0.538f, 0.27f, std::nextafter(1.076f, 2.f), 2.152f}) {
    for (size_t at = 0; at < x.size(); ++at) {
      std::vector<float> y = x;
      y[at] = bad;
      EXPECT_FALSE(map_codes(y.data(), y.size(), codes, out.data())) << bad << " at " << at;
    }
  }
}

TEST(CodeSignGemm, ScaleRowsRoundsOnce) {
  const std::vector<int32_t> c = {3, -5, 7, 1000001};
  const std::vector<float> alphas = {0.3f, 0.7f};
  const std::vector<float> bias = {0.25f, -1.f};
  std::vector<float> y(4);
  // Output transposed (inner product layout): y[n * 2 + m].
  scale_rows(c.data(), 2, 2, 2, alphas.data(), 0.538, bias.data(), y.data(), 1, 2);
  for (int m = 0; m < 2; ++m) {
    for (int n = 0; n < 2; ++n) {
      const float want = static_cast<float>(0.538 * double(alphas[m]) * c[m * 2 + n]) + bias[m];
      EXPECT_EQ(y[n * 2 + m], want);
    }
  }
}

TEST(CodeSignGemm, KernelNamesParseBackAndUnknownOnesAreRefused) {
  for (CodeSignKernel kernel : {CodeSignKernel::kScalar, CodeSignKernel::kAvx2, CodeSignKernel::kAvx512Bw,
                                CodeSignKernel::kAvx512Vnni, CodeSignKernel::kAmxInt8}) {
    EXPECT_EQ(parse_code_sign_kernel(code_sign_kernel_name(kernel)), kernel);
  }
  EXPECT_THROW(parse_code_sign_kernel("amx"), Error);
}

TEST(CodeSignGemm, ActiveKernelIsTheFastestOfTheActiveInstructionSet) {
  for (Isa isa : supported_isas()) {
    ScopedIsa scoped(isa);
    const CodeSignKernel active = active_code_sign_kernel();
    EXPECT_TRUE(code_sign_kernel_supported(active));
    switch (isa) {
      case Isa::kScalar:
        EXPECT_EQ(active, CodeSignKernel::kScalar);
        break;
      case Isa::kAvx2:
        EXPECT_EQ(active, CodeSignKernel::kAvx2);
        break;
      case Isa::kAvx512:
        EXPECT_EQ(active, cpu_features().amx_int8     ? CodeSignKernel::kAmxInt8
                          : cpu_features().avx512vnni ? CodeSignKernel::kAvx512Vnni
                                                      : CodeSignKernel::kAvx512Bw);
        break;
    }
  }
}

TEST(CodeSignGemm, AKernelTheCpuLacksIsRefused) {
  for (CodeSignKernel kernel : {CodeSignKernel::kAvx512Vnni, CodeSignKernel::kAmxInt8}) {
    if (code_sign_kernel_supported(kernel)) continue;
    PackedSigns signs;
    const std::vector<float> w(2 * 8, 1.f);
    pack_signs(w.data(), 2, 8, false, &signs, nullptr);
    PackedCodes codes;
    const std::vector<uint8_t> x(3 * 8, 1);
    pack_matrix_codes(x.data(), 3, 8, &codes);
    std::vector<int32_t> c(6);
    EXPECT_THROW(code_sign_gemm_with(kernel, signs, codes, c.data(), 3, false), Error) << code_sign_kernel_name(kernel);
  }
}

}  // namespace
}  // namespace hwgq::kernels
