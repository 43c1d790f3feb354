// The packed binary convolution against a direct double-precision convolution of
// alpha * sign(W) with the float activations, and every instruction set against the scalar
// reference (bit for bit).
#include "hwgq/kernels/binary_conv.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hwgq/common.hpp"
#include "hwgq/quant/binarize.hpp"
// The per-instruction-set pieces are private to the library; the bit transpose is checked
// on its own here because packing only reaches it with whole-layer shapes.
#include "../../src/kernels/binary_conv_kernels.hpp"

namespace hwgq::kernels {
namespace {

struct Shape {
  int n, c, h, w, o;
  int kh, kw;
  int stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
  int groups;
};

std::string describe(const Shape& s) {
  std::ostringstream out;
  out << s.n << "x" << s.c << "x" << s.h << "x" << s.w << " -> " << s.o << ", kernel " << s.kh << "x" << s.kw
      << ", stride " << s.stride_h << "x" << s.stride_w << ", pad " << s.pad_h << "x" << s.pad_w << ", dilation "
      << s.dilation_h << "x" << s.dilation_w << ", groups " << s.groups;
  return out.str();
}

// Odd channel counts around word boundaries, strides, pads, dilation, groups, kernel
// shapes, batches, and inner products (1x1 images).
const std::vector<Shape> kShapes = {
    {1, 1, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},      {3, 13, 7, 6, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1},
    {1, 63, 6, 5, 9, 1, 1, 1, 1, 0, 0, 1, 1, 1},     {1, 64, 5, 5, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {2, 65, 6, 7, 17, 3, 3, 1, 1, 2, 2, 2, 2, 1},    {1, 130, 4, 4, 8, 5, 5, 1, 1, 2, 2, 1, 1, 1},
    {3, 26, 5, 5, 6, 3, 1, 2, 2, 1, 0, 1, 1, 2},     {1, 128, 9, 9, 24, 3, 3, 2, 2, 1, 1, 1, 1, 2},
    {2, 64, 12, 11, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1},  {1, 20, 8, 9, 7, 3, 5, 1, 2, 0, 1, 1, 1, 1},
    {1, 65, 7, 7, 12, 3, 3, 2, 1, 2, 0, 2, 1, 1},    {3, 13, 1, 1, 10, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {5, 300, 1, 1, 33, 1, 1, 1, 1, 0, 0, 1, 1, 1},   {1, 1000, 1, 1, 9, 1, 1, 1, 1, 0, 0, 1, 1, 1},
    {2, 6, 3, 3, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3},
};

// The level sets of the paper's quantizers and some that need more planes: uniform 2-bit,
// Lloyd-style 2-level, one level, uniform 3-bit (3 planes), 5 non-uniform (5 planes).
const std::vector<std::vector<float>> kLevelSets = {
    {0.538f, 1.076f, 1.614f}, {0.453f, 1.51f}, {0.8f}, {0.25f, 0.5f, 0.75f, 1.f, 1.25f, 1.5f, 1.75f},
    {0.3f, 0.9f, 1.7f, 2.2f, 3.1f}};

// Quant-like outputs: zero (both signs) about a third of the time, else a random level.
std::vector<float> random_activations(size_t count, const std::vector<float>& levels, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(-1, static_cast<int>(levels.size()) * 2 - 1);
  std::vector<float> x(count);
  for (float& v : x) {
    const int k = pick(gen);
    v = k < 0 ? -0.f : (k < static_cast<int>(levels.size()) ? 0.f : levels[k - levels.size()]);
  }
  return x;
}

std::vector<float> random_weights(size_t count, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> w(count);
  for (float& v : w) v = dist(gen);
  // Exact zeros must count as +1.
  for (size_t i = 0; i < count; i += 7) w[i] = 0.f;
  return w;
}

struct Result {
  std::vector<float> y;
  std::vector<double> reference;
  std::vector<double> magnitude;  // sum of |terms| per output
};

ConvGeometry geometry_of(const Shape& s) {
  return make_conv_geometry(s.h, s.w, s.kh, s.kw, s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.dilation_h,
                            s.dilation_w);
}

// Direct convolution in double with alpha * sign(W).
void reference_conv(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                    const std::vector<float>& bias, bool use_alpha, Result* r) {
  const ConvGeometry g = geometry_of(s);
  const int cg = s.c / s.groups, og = s.o / s.groups;
  const int cols = cg * s.kh * s.kw;
  std::vector<float> alpha(s.o);
  std::vector<float> binary(w.size());
  binarize_rows(w.data(), s.o, cols, use_alpha, binary.data(), alpha.data());
  r->reference.assign(size_t(s.n) * s.o * g.out_h * g.out_w, 0.0);
  r->magnitude.assign(r->reference.size(), 0.0);
  for (int n = 0; n < s.n; ++n) {
    for (int o = 0; o < s.o; ++o) {
      const int grp = o / og;
      for (int oy = 0; oy < g.out_h; ++oy) {
        for (int ox = 0; ox < g.out_w; ++ox) {
          double sum = bias.empty() ? 0.0 : bias[o];
          double mag = bias.empty() ? 0.0 : std::fabs(bias[o]);
          for (int c = 0; c < cg; ++c) {
            for (int ky = 0; ky < s.kh; ++ky) {
              for (int kx = 0; kx < s.kw; ++kx) {
                const int iy = oy * s.stride_h - s.pad_h + ky * s.dilation_h;
                const int ix = ox * s.stride_w - s.pad_w + kx * s.dilation_w;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                const double xv = x[((size_t(n) * s.c + grp * cg + c) * s.h + iy) * s.w + ix];
                const double wv = double(alpha[o]) * (w[(size_t(o) * cg + c) * s.kh * s.kw + ky * s.kw + kx] >= 0 ? 1 : -1);
                sum += xv * wv;
                mag += std::fabs(xv * wv);
              }
            }
          }
          const size_t at = ((size_t(n) * s.o + o) * g.out_h + oy) * g.out_w + ox;
          r->reference[at] = sum;
          r->magnitude[at] = mag;
        }
      }
    }
  }
}

std::vector<float> packed_conv(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                               const std::vector<float>& bias, bool use_alpha, const ActivationLevels& levels,
                               PackedActivations* acts) {
  const PackedBinaryWeights pw = pack_binary_weights(w.data(), s.o, s.c / s.groups, s.kh, s.kw, s.groups, use_alpha);
  pack_activations(x.data(), s.n, s.c, s.h, s.w, levels, acts, s.groups);
  const ConvGeometry g = geometry_of(s);
  std::vector<float> y(size_t(s.n) * s.o * g.out_h * g.out_w, std::nanf(""));
  binary_conv(*acts, pw, g, bias.empty() ? nullptr : bias.data(), y.data());
  return y;
}

TEST(BinaryConv, ScalarMatchesDoubleReferenceOnOddShapes) {
  ScopedIsa scalar(Isa::kScalar);
  uint32_t seed = 1;
  for (const Shape& s : kShapes) {
    for (const auto& level_values : kLevelSets) {
      for (bool use_alpha : {false, true}) {
        ++seed;
        SCOPED_TRACE(describe(s) + ", levels " + std::to_string(level_values.size()) +
                     (use_alpha ? ", alpha" : ""));
        const ActivationLevels levels(level_values);
        const auto x = random_activations(size_t(s.n) * s.c * s.h * s.w, level_values, seed);
        const auto w = random_weights(size_t(s.o) * (s.c / s.groups) * s.kh * s.kw, seed + 1000);
        std::vector<float> bias;
        if (seed % 2) bias = random_weights(s.o, seed + 2000);
        Result r;
        reference_conv(s, x, w, bias, use_alpha, &r);
        PackedActivations acts;
        const auto y = packed_conv(s, x, w, bias, use_alpha, levels, &acts);
        ASSERT_EQ(y.size(), r.reference.size());
        for (size_t i = 0; i < y.size(); ++i) {
          ASSERT_NEAR(y[i], r.reference[i], 1e-6 * r.magnitude[i] + 1e-30) << "output " << i;
        }
      }
    }
  }
}

TEST(BinaryConv, EveryInstructionSetMatchesScalarBitForBit) {
  uint32_t seed = 77;
  for (const Shape& s : kShapes) {
    for (const auto& level_values : kLevelSets) {
      ++seed;
      SCOPED_TRACE(describe(s) + ", levels " + std::to_string(level_values.size()));
      const ActivationLevels levels(level_values);
      const auto x = random_activations(size_t(s.n) * s.c * s.h * s.w, level_values, seed);
      const auto w = random_weights(size_t(s.o) * (s.c / s.groups) * s.kh * s.kw, seed + 1000);
      const auto bias = random_weights(s.o, seed + 2000);
      PackedActivations scalar_acts;
      std::vector<float> scalar_y;
      {
        ScopedIsa scalar(Isa::kScalar);
        scalar_y = packed_conv(s, x, w, bias, true, levels, &scalar_acts);
      }
      for (Isa isa : supported_isas()) {
        SCOPED_TRACE(isa_name(isa));
        ScopedIsa forced(isa);
        PackedActivations acts;
        const auto y = packed_conv(s, x, w, bias, true, levels, &acts);
        ASSERT_EQ(acts.bits, scalar_acts.bits);
        ASSERT_EQ(acts.ones, scalar_acts.ones);
        ASSERT_EQ(0, std::memcmp(y.data(), scalar_y.data(), y.size() * sizeof(float)));
      }
    }
  }
}

// Output codes (a folded BatchNorm + Quant after the layer) give, on every ISA, exactly
// the codes of the plain outputs: values[#{r : y >= cut_r}], with cuts placed on and next
// to actual outputs so that equality at a cut is exercised.
TEST(BinaryConv, OutputCodesAreTheCodesOfThePlainOutputs) {
  uint32_t seed = 300;
  for (const Shape& s : kShapes) {
    ++seed;
    SCOPED_TRACE(describe(s));
    const std::vector<float> level_values = {0.538f, 1.076f, 1.614f};
    const ActivationLevels levels(level_values);
    const auto x = random_activations(size_t(s.n) * s.c * s.h * s.w, level_values, seed);
    const auto w = random_weights(size_t(s.o) * (s.c / s.groups) * s.kh * s.kw, seed + 1000);
    const auto bias = random_weights(s.o, seed + 2000);
    PackedActivations acts;
    const auto plain = packed_conv(s, x, w, bias, true, levels, &acts);
    const ConvGeometry g = geometry_of(s);
    const size_t spatial = size_t(g.out_h) * g.out_w;
    // Three ascending cuts per channel: an output value itself, the next float up, and a
    // value above every output (so the top code occurs rarely).
    const int rows = 3;
    std::vector<float> cuts(size_t(rows) * s.o);
    for (int o = 0; o < s.o; ++o) {
      const float v = plain[size_t(o) * spatial + (o % spatial)];
      cuts[o] = v;
      cuts[s.o + o] = std::nextafter(v, INFINITY);
      cuts[2 * s.o + o] = 1e30f;
    }
    const float values[] = {0.f, 0.538f, 1.076f, 1.614f};
    OutputCodes codes;
    codes.cuts = cuts.data();
    codes.rows = rows;
    codes.channels = s.o;
    codes.values = values;
    const PackedBinaryWeights pw = pack_binary_weights(w.data(), s.o, s.c / s.groups, s.kh, s.kw, s.groups, true);
    for (Isa isa : supported_isas()) {
      SCOPED_TRACE(isa_name(isa));
      ScopedIsa forced(isa);
      std::vector<float> coded(plain.size(), std::nanf(""));
      binary_conv(acts, pw, g, bias.data(), coded.data(), &codes);
      for (size_t i = 0; i < plain.size(); ++i) {
        const int o = static_cast<int>((i / spatial) % s.o);
        int n = 0;
        for (int r = 0; r < rows; ++r) n += plain[i] >= cuts[size_t(r) * s.o + o];
        ASSERT_EQ(coded[i], values[n]) << "output " << i << " = " << plain[i];
      }
    }
  }
  // Codes for another channel count are refused.
  const Shape& s = kShapes[1];
  const std::vector<float> level_values = {0.8f};
  PackedActivations acts;
  const auto x = random_activations(size_t(s.n) * s.c * s.h * s.w, level_values, 1);
  pack_activations(x.data(), s.n, s.c, s.h, s.w, ActivationLevels(level_values), &acts, s.groups);
  const auto w = random_weights(size_t(s.o) * s.c * s.kh * s.kw, 2);
  const PackedBinaryWeights pw = pack_binary_weights(w.data(), s.o, s.c, s.kh, s.kw, 1, true);
  const ConvGeometry g = geometry_of(s);
  std::vector<float> y(size_t(s.n) * s.o * g.out_h * g.out_w);
  const float cut = 0.f, values[] = {0.f, 1.f};
  OutputCodes wrong;
  wrong.cuts = &cut;
  wrong.rows = 1;
  wrong.channels = s.o + 1;
  wrong.values = values;
  EXPECT_THROW(binary_conv(acts, pw, g, nullptr, y.data(), &wrong), Error);
}

const detail::IsaKernels* kernels_of(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return detail::scalar_kernels();
    case Isa::kAvx2:
      return detail::avx2_kernels();
    case Isa::kAvx512:
      return detail::avx512_kernels();
  }
  return nullptr;
}

TEST(BinaryConvKernels, TransposeSwapsRowsAndColumns) {
  std::mt19937_64 gen(5);
  for (Isa isa : supported_isas()) {
    SCOPED_TRACE(isa_name(isa));
    const detail::IsaKernels* k = kernels_of(isa);
    ASSERT_NE(k, nullptr);
    for (int trial = 0; trial < 20; ++trial) {
      uint64_t a[64], t[64];
      for (int r = 0; r < 64; ++r) {
        // Random words, then single bits and a sparse row so a bit moved to the wrong
        // place cannot hide among others.
        a[r] = trial == 0 ? uint64_t(1) << ((r * 7) % 64) : (trial == 1 ? (r == 3 ? 0x8000000000000001ull : 0) : gen());
        t[r] = a[r];
      }
      k->transpose(t);
      for (int r = 0; r < 64; ++r) {
        for (int c = 0; c < 64; ++c) {
          ASSERT_EQ((t[r] >> c) & 1, (a[c] >> r) & 1) << "row " << r << ", column " << c << ", trial " << trial;
        }
      }
    }
  }
}

TEST(ActivationLevels, ChoosesTheEncoding) {
  const ActivationLevels uniform({0.538f, 1.076f, 1.614f});
  EXPECT_EQ(uniform.encoding(), ActivationLevels::Encoding::kBitSerial);
  EXPECT_EQ(uniform.planes(), 2);
  EXPECT_EQ(uniform.planes_of_code(3), 3u);
  const ActivationLevels lloyd({0.453f, 1.51f});
  EXPECT_EQ(lloyd.encoding(), ActivationLevels::Encoding::kThermometer);
  EXPECT_EQ(lloyd.planes(), 2);
  EXPECT_EQ(lloyd.planes_of_code(1), 1u);
  EXPECT_EQ(lloyd.planes_of_code(2), 3u);
  EXPECT_DOUBLE_EQ(lloyd.plane_weight(1), double(1.51f) - double(0.453f));
  const ActivationLevels one({0.7f});
  EXPECT_EQ(one.encoding(), ActivationLevels::Encoding::kBitSerial);
  EXPECT_EQ(one.planes(), 1);
  EXPECT_EQ(ActivationLevels({1.f, 2.f, 3.f, 4.f}).planes(), 3);
  EXPECT_FALSE(ActivationLevels::uniform({1.f, 2.001f}));
}

TEST(ActivationLevels, RejectsBadLevels) {
  EXPECT_THROW(ActivationLevels(std::vector<float>{}), Error);
  EXPECT_THROW(ActivationLevels({0.f, 1.f}), Error);
  EXPECT_THROW(ActivationLevels({1.f, -1.f}), Error);
  EXPECT_THROW(ActivationLevels({1.f, 1.f}), Error);
  EXPECT_THROW(ActivationLevels({1.f, std::nanf("")}), Error);
  EXPECT_THROW(ActivationLevels({1.f, INFINITY}), Error);
  std::vector<float> many;
  for (int k = 0; k < 40; ++k) many.push_back(1.f + k + 0.01f * k * k);
  EXPECT_THROW(ActivationLevels{many}, Error);
}

TEST(PackBinaryWeights, SignsAlphaAndPadding) {
  const int o = 10, c = 70, kh = 3, kw = 2;
  auto w = random_weights(size_t(o) * c * kh * kw, 5);
  const PackedBinaryWeights p = pack_binary_weights(w.data(), o, c, kh, kw, 1, true);
  EXPECT_NO_THROW(p.check());
  EXPECT_EQ(p.words_per_position, 2);
  EXPECT_EQ(p.bits.size(), size_t(2) * kh * kw * 2 * 8);
  std::vector<float> alpha(o), binary(w.size());
  binarize_rows(w.data(), o, c * kh * kw, true, binary.data(), alpha.data());
  EXPECT_EQ(p.alpha, alpha);
  for (int oo = 0; oo < o; ++oo) {
    for (int cc = 0; cc < c; ++cc) {
      for (int y = 0; y < kh; ++y) {
        for (int x = 0; x < kw; ++x) {
          EXPECT_EQ(p.positive(oo, cc, y, x), w[((size_t(oo) * c + cc) * kh + y) * kw + x] >= 0.f);
        }
      }
    }
  }
  // Channels past 70 in the second word and lanes past the 10th filter stay 0.
  for (int oo = 0; oo < o; ++oo) EXPECT_EQ(p.bits[p.word_index(oo, 1, 1, 1)] >> 6, 0u);
  for (int lane = 2; lane < 8; ++lane) EXPECT_EQ(p.bits[p.word_index(8, 0, 0, 0) + lane - 0], 0u);
  const PackedBinaryWeights plain = pack_binary_weights(w.data(), o, c, kh, kw, 1, false);
  for (float a : plain.alpha) EXPECT_EQ(a, 1.f);
  EXPECT_THROW(pack_binary_weights(w.data(), 9, c, kh, kw, 2, false), Error);
}

TEST(PackActivations, PlanesDecodeToTheValues) {
  for (const auto& level_values : kLevelSets) {
    const ActivationLevels levels(level_values);
    const int n = 2, c = 70, h = 9, w = 11, groups = 2;
    const auto x = random_activations(size_t(n) * c * h * w, level_values, 3);
    for (Isa isa : supported_isas()) {
      ScopedIsa forced(isa);
      PackedActivations a;
      pack_activations(x.data(), n, c, h, w, levels, &a, groups);
      ASSERT_EQ(a.words_per_group, 1);
      for (int i = 0; i < n; ++i) {
        for (int ch = 0; ch < c; ++ch) {
          for (int y = 0; y < h; ++y) {
            for (int xx = 0; xx < w; ++xx) {
              const int g = ch / (c / groups), cl = ch % (c / groups);
              double value = 0;
              for (int p = 0; p < a.planes(); ++p) {
                const uint64_t word = a.bits[((((size_t(i) * h + y) * w + xx) * groups + g) * a.planes() + p)];
                if ((word >> cl) & 1) value += levels.plane_weight(p);
              }
              const float expected = x[((size_t(i) * c + ch) * h + y) * w + xx];
              ASSERT_NEAR(value, expected, 3e-7 * expected) << isa_name(isa);
            }
          }
        }
      }
    }
  }
}

TEST(PackActivations, RejectsValuesOffTheLevels) {
  const ActivationLevels levels({0.538f, 1.076f, 1.614f});
  for (Isa isa : supported_isas()) {
    ScopedIsa forced(isa);
    for (float bad : {0.5f, -0.538f, std::nextafter(1.076f, 2.f), std::nanf(""), INFINITY, 1e-30f}) {
      for (int hw : {1, 37, 200}) {
        std::vector<float> x(size_t(3) * 5 * hw, 1.076f);
        x[x.size() / 2 + 1] = bad;
        PackedActivations a;
        try {
          pack_activations(x.data(), 3, 5, hw, 1, levels, &a);
          FAIL() << "accepted " << bad << " with " << isa_name(isa);
        } catch (const Error& e) {
          std::ostringstream value;
          value << bad;
          EXPECT_NE(std::string(e.what()).find("value " + value.str()), std::string::npos) << e.what();
        }
      }
    }
  }
}

TEST(BinaryConv, RejectsMismatchedInputs) {
  const ActivationLevels levels({1.f});
  const std::vector<float> x(2 * 8 * 5 * 5, 1.f);
  const auto w = random_weights(4 * 8 * 3 * 3, 1);
  PackedActivations a;
  pack_activations(x.data(), 2, 8, 5, 5, levels, &a);
  const PackedBinaryWeights pw = pack_binary_weights(w.data(), 4, 8, 3, 3, 1, false);
  std::vector<float> y(2 * 4 * 5 * 5);
  ConvGeometry g = make_conv_geometry(5, 5, 3, 3, 1, 1, 1, 1, 1, 1);
  EXPECT_NO_THROW(binary_conv(a, pw, g, nullptr, y.data()));
  ConvGeometry wrong = g;
  wrong.out_w = 4;
  EXPECT_THROW(binary_conv(a, pw, wrong, nullptr, y.data()), Error);
  const PackedBinaryWeights other = pack_binary_weights(w.data(), 4, 4, 3, 3, 1, false);
  EXPECT_THROW(binary_conv(a, other, g, nullptr, y.data()), Error);
  const PackedBinaryWeights grouped = pack_binary_weights(w.data(), 4, 4, 3, 3, 2, false);
  EXPECT_THROW(binary_conv(a, grouped, g, nullptr, y.data()), Error);
  PackedBinaryWeights truncated = pw;
  truncated.bits.pop_back();
  EXPECT_THROW(binary_conv(a, truncated, g, nullptr, y.data()), Error);
  EXPECT_THROW(make_conv_geometry(2, 2, 5, 5, 1, 1, 0, 0, 1, 1), Error);
  EXPECT_THROW(make_conv_geometry(5, 5, 3, 3, 0, 1, 0, 0, 1, 1), Error);
  EXPECT_THROW(pack_activations(x.data(), 2, 8, 5, 5, levels, &a, 3), Error);
  EXPECT_THROW(pack_activations(x.data(), 2, 8, 5, 5, ActivationLevels(), &a), Error);
}

}  // namespace
}  // namespace hwgq::kernels
