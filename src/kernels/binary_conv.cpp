// Layout, borders, threading and scaling of the packed binary convolution; the inner loops
// come from the active instruction set (binary_conv_kernels.hpp).
#include "hwgq/kernels/binary_conv.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "binary_conv_kernels.hpp"
#include "hwgq/common.hpp"
#include "hwgq/quant/binarize.hpp"
#include "hwgq/util/openmp_threads.hpp"

namespace hwgq::kernels {

namespace {

constexpr int kLanes = PackedBinaryWeights::kOutputLanes;
static_assert(kLanes == detail::kLanes, "the kernels and the weight layout agree on the block width");
// Output pixels per work item: enough to amortise the tap table and keep the micro-kernels
// fed, few enough that small layers still split over threads.
constexpr int kTilePixels = 48;
// Work below this many word popcounts (or packed values) runs on one thread: starting a
// team costs more than it saves there.
constexpr long long kMinParallelWork = 1 << 16;

const detail::IsaKernels& kernels_for(Isa isa) {
  const detail::IsaKernels* k = nullptr;
  switch (isa) {
    case Isa::kScalar:
      k = detail::scalar_kernels();
      break;
    case Isa::kAvx2:
      k = detail::avx2_kernels();
      break;
    case Isa::kAvx512:
      k = detail::avx512_kernels();
      break;
  }
  HWGQ_REQUIRE(k, "the " << isa_name(isa) << " kernels are not part of this build");
  return *k;
}

bool is_value_or_zero(float v, const ActivationLevels& levels) {
  if (v == 0.f) return true;
  for (float q : levels.levels()) {
    if (v == q) return true;
  }
  return false;
}

[[noreturn]] void report_invalid(const float* x, int n, int c, int h, int w, const ActivationLevels& levels) {
  std::ostringstream list;
  for (size_t k = 0; k < levels.levels().size(); ++k) list << (k ? ", " : "") << levels.levels()[k];
  const size_t count = size_t(n) * c * h * w;
  for (size_t i = 0; i < count; ++i) {
    if (is_value_or_zero(x[i], levels)) continue;
    const size_t hw = size_t(h) * w;
    HWGQ_FAIL("packed activations: value " << x[i] << " at (n " << i / (hw * c) << ", c " << (i / hw) % c << ", h "
                                           << (i % hw) / w << ", w " << i % w
                                           << ") is neither 0 nor one of the quantization levels (" << list.str()
                                           << "); the input of a packed binary layer must be a Quant layer's output "
                                              "with these centers");
  }
  HWGQ_FAIL("packed activations: a value is neither 0 nor a level (" << list.str() << ")");
}

}  // namespace

ConvGeometry make_conv_geometry(int height, int width, int kernel_h, int kernel_w, int stride_h, int stride_w,
                                int pad_h, int pad_w, int dilation_h, int dilation_w) {
  HWGQ_REQUIRE(height > 0 && width > 0 && kernel_h > 0 && kernel_w > 0 && stride_h > 0 && stride_w > 0 && pad_h >= 0 &&
                   pad_w >= 0 && dilation_h > 0 && dilation_w > 0,
               "convolution geometry: input " << height << " x " << width << ", kernel " << kernel_h << " x "
                                              << kernel_w << ", stride " << stride_h << " x " << stride_w << ", pad "
                                              << pad_h << " x " << pad_w << ", dilation " << dilation_h << " x "
                                              << dilation_w << ": sizes, strides and dilations must be positive, "
                                                               "pads not negative");
  const long long span_h = (long long)dilation_h * (kernel_h - 1) + 1;
  const long long span_w = (long long)dilation_w * (kernel_w - 1) + 1;
  HWGQ_REQUIRE(height + 2LL * pad_h >= span_h && width + 2LL * pad_w >= span_w,
               "convolution geometry: the kernel (" << kernel_h << " x " << kernel_w << ", dilation " << dilation_h
                                                    << " x " << dilation_w << ") does not fit the input " << height
                                                    << " x " << width << " with pad " << pad_h << " x " << pad_w);
  ConvGeometry g;
  g.stride_h = stride_h;
  g.stride_w = stride_w;
  g.pad_h = pad_h;
  g.pad_w = pad_w;
  g.dilation_h = dilation_h;
  g.dilation_w = dilation_w;
  g.out_h = static_cast<int>((height + 2LL * pad_h - span_h) / stride_h + 1);
  g.out_w = static_cast<int>((width + 2LL * pad_w - span_w) / stride_w + 1);
  return g;
}

PackedBinaryWeights pack_binary_weights(const float* w, int out_channels, int in_channels_per_group, int kernel_h,
                                        int kernel_w, int groups, bool use_alpha) {
  PackedBinaryWeights p;
  p.out_channels = out_channels;
  p.in_channels = in_channels_per_group;
  p.kernel_h = kernel_h;
  p.kernel_w = kernel_w;
  p.groups = groups;
  p.words_per_position = words_for_channels(in_channels_per_group);
  HWGQ_REQUIRE(out_channels > 0 && in_channels_per_group > 0 && kernel_h > 0 && kernel_w > 0 && groups > 0 &&
                   out_channels % groups == 0,
               "pack_binary_weights: out_channels " << out_channels << " (divisible by groups " << groups
                                                    << "), in_channels " << in_channels_per_group << " and kernel "
                                                    << kernel_h << " x " << kernel_w << " must be positive");
  HWGQ_REQUIRE(w, "pack_binary_weights: no weights given");
  p.bits.assign(p.expected_words(), 0);
  p.alpha.assign(out_channels, 1.f);
  const int cols = in_channels_per_group * kernel_h * kernel_w;
  // alpha exactly as BinaryConvolution computes it (binarize_rows); the signs straight
  // from w, since a filter of zeros has alpha 0 and its binarized row keeps no sign.
  std::vector<float> binarized(size_t(out_channels) * cols);
  binarize_rows(w, out_channels, cols, use_alpha, binarized.data(), p.alpha.data());
  for (int o = 0; o < out_channels; ++o) {
    const float* row = w + size_t(o) * cols;
    for (int c = 0; c < in_channels_per_group; ++c) {
      for (int ky = 0; ky < kernel_h; ++ky) {
        for (int kx = 0; kx < kernel_w; ++kx) {
          if (binary_sign(row[(c * kernel_h + ky) * kernel_w + kx]) > 0.f) {
            p.bits[p.word_index(o, ky, kx, c / kBitsPerWord)] |= uint64_t(1) << (c % kBitsPerWord);
          }
        }
      }
    }
  }
  return p;
}

void pack_activations(const float* x, int n, int c, int h, int w, const ActivationLevels& levels,
                      PackedActivations* out, int groups) {
  HWGQ_REQUIRE(out, "pack_activations: no output given");
  HWGQ_REQUIRE(!levels.empty(), "pack_activations: no quantization levels given");
  HWGQ_REQUIRE(n >= 0 && c > 0 && h > 0 && w > 0,
               "pack_activations: shape " << n << " x " << c << " x " << h << " x " << w << " must be positive");
  HWGQ_REQUIRE(groups > 0 && c % groups == 0,
               "pack_activations: " << c << " channels cannot be split into " << groups << " groups");
  HWGQ_REQUIRE(x || n == 0, "pack_activations: no input given");
  const int cg = c / groups;
  const int words = words_for_channels(cg);
  const int planes = levels.planes();
  const size_t hw = size_t(h) * w;
  out->num = n;
  out->channels = c;
  out->height = h;
  out->width = w;
  out->groups = groups;
  out->words_per_group = words;
  out->levels = levels;
  out->bits.resize(size_t(n) * hw * groups * planes * words);
  out->ones.resize(size_t(n) * hw * groups * planes);
  if (n == 0) return;

  const detail::IsaKernels& k = kernels_for(active_isa());
  const detail::LevelMatch match{levels.levels().data(), levels.code_planes().data(),
                                 static_cast<int>(levels.levels().size()), planes,
                                 levels.encoding() == ActivationLevels::Encoding::kBitSerial};
  uint64_t* bits = out->bits.data();
  std::atomic<bool> invalid{false};
  const bool parallel = max_threads() > 1 && (long long)n * c * (long long)hw >= kMinParallelWork;

  if (hw == 1) {
    // One pixel per image: its channels are contiguous, so the plane masks are the words.
    const long long items = (long long)n * groups * words;
#pragma omp parallel for schedule(static) if (parallel)
    for (long long item = 0; item < items; ++item) {
      const int word = static_cast<int>(item % words);
      const long long ng = item / words;  // n * groups + g
      const int m = std::min(kBitsPerWord, cg - word * kBitsPerWord);
      uint64_t masks[ActivationLevels::kMaxPlanes];
      if (!k.classify(x + ng * cg + word * kBitsPerWord, m, match, masks)) invalid.store(true);
      for (int p = 0; p < planes; ++p) bits[(ng * planes + p) * words + word] = masks[p];
    }
  } else {
    // Blocks of 64 channels x 64 positions: classify each channel's run of positions, then
    // transpose the bit matrix so that each position gets its word of channels. One item
    // does all words of its positions, so it can also count their ones while the words are
    // in cache (no second pass over the packed bits).
    const long long pixel_blocks = (long long)((hw + kBitsPerWord - 1) / kBitsPerWord);
    const long long items = (long long)n * groups * pixel_blocks;
    int32_t* ones = out->ones.data();
#pragma omp parallel for schedule(static) if (parallel)
    for (long long item = 0; item < items; ++item) {
      const long long block = item % pixel_blocks;
      const long long ng = item / pixel_blocks;
      const long long image = ng / groups;
      const int g = static_cast<int>(ng % groups);
      const size_t pixel0 = size_t(block) * kBitsPerWord;
      const int m_pixels = static_cast<int>(std::min<size_t>(kBitsPerWord, hw - pixel0));
      uint64_t rows[ActivationLevels::kMaxPlanes][kBitsPerWord];
      uint64_t masks[ActivationLevels::kMaxPlanes];
      for (int word = 0; word < words; ++word) {
        const int m_channels = std::min(kBitsPerWord, cg - word * kBitsPerWord);
        const float* base = x + (size_t(image) * c + size_t(g) * cg + size_t(word) * kBitsPerWord) * hw + pixel0;
        for (int r = 0; r < m_channels; ++r) {
          if (!k.classify(base + r * hw, m_pixels, match, masks)) invalid.store(true);
          for (int p = 0; p < planes; ++p) rows[p][r] = masks[p];
        }
        for (int p = 0; p < planes; ++p) {
          for (int r = m_channels; r < kBitsPerWord; ++r) rows[p][r] = 0;
          k.transpose(rows[p]);
        }
        for (int i = 0; i < m_pixels; ++i) {
          uint64_t* dst = bits + (((size_t(image) * hw + pixel0 + i) * groups + g) * planes) * words + word;
          for (int p = 0; p < planes; ++p) dst[size_t(p) * words] = rows[p][i];
        }
      }
      for (int i = 0; i < m_pixels; ++i) {
        const size_t run0 = ((size_t(image) * hw + pixel0 + i) * groups + g) * planes;
        for (int p = 0; p < planes; ++p) {
          int32_t total = 0;
          for (int word = 0; word < words; ++word) total += __builtin_popcountll(bits[(run0 + p) * words + word]);
          ones[run0 + p] = total;
        }
      }
    }
  }
  if (invalid.load()) report_invalid(x, n, c, h, w, levels);
  if (hw == 1) {
    // The words of a position come from different items there: count afterwards.
    const long long runs = (long long)n * groups * planes;
    int32_t* ones = out->ones.data();
#pragma omp parallel for schedule(static) if (parallel)
    for (long long r = 0; r < runs; ++r) {
      int32_t total = 0;
      for (int word = 0; word < words; ++word) total += __builtin_popcountll(bits[r * words + word]);
      ones[r] = total;
    }
  }
}

void binary_conv(const PackedActivations& a, const PackedBinaryWeights& wts, const ConvGeometry& geo,
                 const float* bias, float* y, const OutputCodes* codes) {
  wts.check();
  HWGQ_REQUIRE(!codes || (codes->cuts && codes->values && codes->rows >= 0 && codes->channels == wts.out_channels),
               "binary_conv: output codes for " << (codes ? codes->channels : 0) << " channels, the weights have "
                                                << wts.out_channels);
  HWGQ_REQUIRE(!a.levels.empty() && a.num >= 0 && a.channels > 0 && a.height > 0 && a.width > 0 && a.groups > 0,
               "binary_conv: the activations are not packed");
  HWGQ_REQUIRE(a.groups == wts.groups, "binary_conv: activations packed in " << a.groups << " groups, weights have "
                                                                            << wts.groups);
  HWGQ_REQUIRE(a.channels == wts.in_channels * wts.groups,
               "binary_conv: activations have " << a.channels << " channels, weights expect "
                                                << wts.in_channels * wts.groups << " (" << wts.in_channels
                                                << " per group x " << wts.groups << " groups)");
  HWGQ_REQUIRE(a.words_per_group == wts.words_per_position,
               "binary_conv: activations have " << a.words_per_group << " words per group, weights "
                                                << wts.words_per_position);
  const int planes = a.planes();
  const size_t pixel_words = a.pixel_words();
  HWGQ_REQUIRE(a.bits.size() == size_t(a.num) * a.height * a.width * pixel_words &&
                   a.ones.size() == size_t(a.num) * a.height * a.width * a.groups * planes,
               "binary_conv: the packed activations' buffers do not match their shape");
  const ConvGeometry expect = make_conv_geometry(a.height, a.width, wts.kernel_h, wts.kernel_w, geo.stride_h,
                                                 geo.stride_w, geo.pad_h, geo.pad_w, geo.dilation_h, geo.dilation_w);
  HWGQ_REQUIRE(expect.out_h == geo.out_h && expect.out_w == geo.out_w,
               "binary_conv: output size " << geo.out_h << " x " << geo.out_w << " does not match the input "
                                           << a.height << " x " << a.width << " and kernel " << wts.kernel_h << " x "
                                           << wts.kernel_w << " (expected " << expect.out_h << " x " << expect.out_w
                                           << ")");
  HWGQ_REQUIRE(y || a.num == 0, "binary_conv: no output given");
  if (a.num == 0) return;

  const detail::IsaKernels& k = kernels_for(active_isa());
  const int groups = wts.groups;
  const int words = wts.words_per_position;
  const int out_channels = wts.out_channels;
  const int og = wts.out_per_group();
  const int blocks = wts.blocks_per_group();
  const int taps = wts.kernel_h * wts.kernel_w;
  const size_t out_spatial = size_t(geo.out_h) * geo.out_w;
  const long long total_pixels = (long long)a.num * out_spatial;
  const long long tiles = (total_pixels + kTilePixels - 1) / kTilePixels;
  const size_t block_words = size_t(taps) * words * kLanes;

  const int threads = max_threads();
  const bool parallel =
      threads > 1 && total_pixels * out_channels * (long long)taps * words * planes / kLanes >= kMinParallelWork;
  // Split each group's blocks into chunks so that there are a few items per thread.
  const long long wanted_items = parallel ? 4LL * threads : 1;
  const long long chunks_wanted = (wanted_items + tiles * groups - 1) / (tiles * groups);
  const int chunks = static_cast<int>(std::max<long long>(1, std::min<long long>(blocks, chunks_wanted)));
  const int blocks_per_chunk = (blocks + chunks - 1) / chunks;
  const long long items = tiles * groups * chunks;

  // Bit-serial: out = alpha q_1 sum_p 2^p dot_p over exact integers. Thermometer: out =
  // alpha sum_p q_p (dot_p - dot_p+1), products exact in double (detail::FinishTask).
  const bool bit_serial = a.levels.encoding() == ActivationLevels::Encoding::kBitSerial;
  std::vector<double> levels(a.levels.levels().begin(), a.levels.levels().end());
  const double step = a.levels.step();
  // |dot_p| <= taps * channels; the exactness bounds of FinishTask must hold.
  const long long reach = (long long)taps * wts.in_channels;
  HWGQ_REQUIRE(bit_serial ? (reach << planes) < (1LL << 31) : reach < (1LL << 28),
               "binary_conv: " << taps << " taps x " << wts.in_channels << " channels with " << planes
                               << " planes are too many for exact 32-bit sums");
  const std::vector<uint64_t> zeros(size_t(planes) * words, 0);
  // The tile loop reads these many times per pixel; locals keep them out of memory (the
  // stores into the tap table and sums could otherwise alias them).
  const int out_w = geo.out_w, out_h = geo.out_h, in_h = a.height, in_w = a.width;
  const int stride_h = geo.stride_h, stride_w = geo.stride_w, pad_h = geo.pad_h, pad_w = geo.pad_w;
  const int dilation_h = geo.dilation_h, dilation_w = geo.dilation_w;
  const int kernel_h = wts.kernel_h, kernel_w = wts.kernel_w;
  const int span_h = dilation_h * (kernel_h - 1) + 1, span_w = dilation_w * (kernel_w - 1) + 1;
  // Pixel index of tap (ky, kx) relative to the window's top-left corner (unsigned
  // arithmetic: the corner itself may lie in the padding).
  std::vector<size_t> tap_offset(taps);
  for (int ky = 0; ky < kernel_h; ++ky) {
    for (int kx = 0; kx < kernel_w; ++kx) tap_offset[ky * kernel_w + kx] = size_t(ky) * dilation_h * in_w + size_t(kx) * dilation_w;
  }

#pragma omp parallel if (parallel)
  {
    std::vector<const uint64_t*> tap_table(size_t(kTilePixels) * taps);
    std::vector<int32_t> ones_sum(size_t(kTilePixels) * planes);
    std::vector<float> values(size_t(kTilePixels) * kLanes);
    std::vector<size_t> y_offset(kTilePixels);
    std::vector<int32_t> counts(size_t(kTilePixels) * planes * kLanes);
#pragma omp for schedule(dynamic)
    for (long long item = 0; item < items; ++item) {
      const int chunk = static_cast<int>(item % chunks);
      const int g = static_cast<int>((item / chunks) % groups);
      const long long tile = item / (chunks * (long long)groups);
      const long long first = tile * kTilePixels;
      const int pixels = static_cast<int>(std::min<long long>(kTilePixels, total_pixels - first));

      // The tile's first pixel by division, the rest by stepping (image, oy, ox): divisions
      // per pixel cost as much as a good part of the popcounts on small layers.
      long long image = first / (long long)out_spatial;
      int oy = static_cast<int>((first % (long long)out_spatial) / out_w);
      int ox = static_cast<int>(first % out_w);
      const uint64_t* const group_bits = a.bits.data() + size_t(g) * planes * words;
      const int32_t* const group_ones = a.ones.data() + size_t(g) * planes;
      for (int i = 0; i < pixels; ++i, ++ox) {
        if (ox == out_w) {
          ox = 0;
          if (++oy == out_h) {
            oy = 0;
            ++image;
          }
        }
        y_offset[i] = size_t(image) * out_channels * out_spatial + size_t(oy) * out_w + ox;
        const int iy0 = oy * stride_h - pad_h;
        const int ix0 = ox * stride_w - pad_w;
        const size_t corner = (size_t(image) * in_h + iy0) * in_w + ix0;  // wraps when off the image
        const uint64_t** entry = &tap_table[size_t(i) * taps];
        int32_t sums[ActivationLevels::kMaxPlanes] = {};
        if (iy0 >= 0 && iy0 + span_h <= in_h && ix0 >= 0 && ix0 + span_w <= in_w) {
          // Every tap inside the image (most pixels): fixed offsets from the window's corner.
          for (int t = 0; t < taps; ++t) {
            const size_t at = corner + tap_offset[t];
            entry[t] = group_bits + at * pixel_words;
            const int32_t* pixel_ones = group_ones + at * groups * planes;
            for (int p = 0; p < planes; ++p) sums[p] += pixel_ones[p];
          }
        } else {
          for (int ky = 0; ky < kernel_h; ++ky) {
            const int iy = iy0 + ky * dilation_h;
            for (int kx = 0; kx < kernel_w; ++kx) {
              const int ix = ix0 + kx * dilation_w;
              const int t = ky * kernel_w + kx;
              if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
                entry[t] = zeros.data();
                continue;
              }
              const size_t at = corner + tap_offset[t];
              entry[t] = group_bits + at * pixel_words;
              const int32_t* pixel_ones = group_ones + at * groups * planes;
              for (int p = 0; p < planes; ++p) sums[p] += pixel_ones[p];
            }
          }
        }
        std::copy(sums, sums + planes, &ones_sum[size_t(i) * planes]);
      }

      const int block_end = std::min(blocks, (chunk + 1) * blocks_per_chunk);
      for (int b = chunk * blocks_per_chunk; b < block_end; ++b) {
        const detail::CountTask task{tap_table.data(), pixels, taps, planes, words,
                                     wts.bits.data() + (size_t(g) * blocks + b) * block_words, counts.data()};
        k.count(task);
        const int o0 = g * og + b * kLanes;
        const int lanes = std::min(kLanes, og - b * kLanes);
        double scale[kLanes];
        float lane_bias[kLanes];
        for (int lane = 0; lane < kLanes; ++lane) {
          const double alpha = lane < lanes ? double(wts.alpha[o0 + lane]) : 0.0;
          scale[lane] = bit_serial ? alpha * step : alpha;
          lane_bias[lane] = lane < lanes && bias ? bias[o0 + lane] : 0.f;
        }
        k.finish({counts.data(), ones_sum.data(), pixels, planes, bit_serial, levels.data(), scale, lane_bias,
                  values.data(), y + size_t(o0) * out_spatial, out_spatial, y_offset.data(), lanes});
        if (codes) {
          // The tile's outputs were just stored: map them to codes while they are in cache.
          for (int lane = 0; lane < lanes; ++lane) {
            float* out = y + size_t(o0 + lane) * out_spatial;
            const float* cut = codes->cuts + (o0 + lane);
            for (int i = 0; i < pixels; ++i) {
              float& v = out[y_offset[i]];
              if (v != v) continue;  // NaN stays NaN, as the Quant layer passes it
              int n = 0;
              for (int r = 0; r < codes->rows; ++r) n += v >= cut[size_t(r) * codes->channels];
              v = codes->values[n];
            }
          }
        }
      }
    }
  }
}

}  // namespace hwgq::kernels
