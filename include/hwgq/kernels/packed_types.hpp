// The packed forms the deploy-time binary convolution works on: 1-bit weights (paper 1.1)
// and activation codes split into bit planes (paper 1.2). A dot product of +-1 weights with
// one plane is exact integer arithmetic on 64-bit words:
//   dot(w, plane) = 2 * popcount(plane & wbits) - popcount(plane)
// (wbits: bit 1 where the weight is +1), so the only rounding is one final scaling per output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hwgq::kernels {

// Channels per packed word: channel c of a run of channels sits in word c / 64, bit c % 64.
constexpr int kBitsPerWord = 64;
static_assert(sizeof(uint64_t) * 8 == kBitsPerWord, "a packed word holds 64 channels");

// Words needed for `channels` channels (at least one, so every position has a word).
inline int words_for_channels(int channels) { return channels <= 0 ? 1 : (channels + kBitsPerWord - 1) / kBitsPerWord; }

// Binary weights W_b[o,:] = alpha_o * sign(W[o,:]) (paper 1.1), sign(0) = +1.
//
// Layout of `bits`: output channels are taken in blocks of kOutputLanes within each group,
// and a block's words are interleaved so that one 64-byte load gives the same word of all
// kOutputLanes filters (the kernels vectorise over output channels):
//   bits[((((g * blocks_per_group() + b) * kernel_h + ky) * kernel_w + kx) * words_per_position + word)
//        * kOutputLanes + lane]
// holds input channels [64 word, 64 word + 64) of group g at kernel offset (ky, kx) for
// output channel o = g * out_per_group() + b * kOutputLanes + lane; channel c's sign is bit
// c % 64 (1 for w >= 0, i.e. +1). Bits past in_channels and lanes past the group's last
// filter are 0. word_index() computes the index.
struct PackedBinaryWeights {
  static constexpr int kOutputLanes = 8;

  int out_channels = 0;
  int in_channels = 0;  // per group
  int kernel_h = 0;
  int kernel_w = 0;
  int groups = 1;
  int words_per_position = 0;  // words_for_channels(in_channels)
  std::vector<uint64_t> bits;
  std::vector<float> alpha;  // out_channels values: mean |W[o,:]| with use_alpha, else 1

  int out_per_group() const { return groups > 0 ? out_channels / groups : 0; }
  int blocks_per_group() const { return (out_per_group() + kOutputLanes - 1) / kOutputLanes; }
  // The length `bits` must have for these shapes.
  size_t expected_words() const {
    return size_t(groups) * blocks_per_group() * kernel_h * kernel_w * words_per_position * kOutputLanes;
  }
  // Index in `bits` of the word holding input channels [64 word, 64 word + 64) of output
  // channel o's filter at kernel offset (ky, kx).
  size_t word_index(int o, int ky, int kx, int word) const {
    const int og = out_per_group();
    const int g = o / og;
    const int b = (o % og) / kOutputLanes;
    const int lane = (o % og) % kOutputLanes;
    return ((((size_t(g) * blocks_per_group() + b) * kernel_h + ky) * kernel_w + kx) * words_per_position + word) *
               kOutputLanes + lane;
  }
  // Whether weight (o, c, ky, kx) is +1 (c counts within the group).
  bool positive(int o, int c, int ky, int kx) const {
    return (bits[word_index(o, ky, kx, c / kBitsPerWord)] >> (c % kBitsPerWord)) & 1u;
  }
  // hwgq::Error naming the problem when the fields do not describe a valid packed tensor.
  void check() const;
};

// The positive levels q_1 < ... < q_K a Quant layer outputs (paper 1.2); a value's code is
// 0 for the value 0 and k for q_k. The code is stored as bit planes, with one of two exact
// encodings chosen from the levels:
//  - bit-serial, when the levels are uniform (q_k == k * q_1 within 2 ulp, e.g. 0.538,
//    1.076, 1.614): plane b is bit b of the code, ceil(log2(K + 1)) planes, and
//    value = q_1 * sum_b 2^b plane_b; the kernel sums the integer dots exactly and scales once;
//  - thermometer, otherwise (e.g. 0.453, 1.51, or Lloyd-designed levels): plane k (k = 1..K)
//    is [code >= k], K planes, and value = sum_k (q_k - q_{k-1}) plane_k with q_0 = 0.
class ActivationLevels {
 public:
  enum class Encoding { kBitSerial, kThermometer };
  // Encodings keep each plane set in a 32-bit mask per level.
  static constexpr int kMaxPlanes = 32;

  ActivationLevels() = default;
  // hwgq::Error unless the levels are positive, finite, strictly ascending, at least one,
  // and fit kMaxPlanes planes.
  explicit ActivationLevels(std::vector<float> levels);

  const std::vector<float>& levels() const { return levels_; }
  bool empty() const { return levels_.empty(); }
  Encoding encoding() const { return encoding_; }
  int planes() const { return planes_; }
  // Bit p set when a value of code k (1..K) has a 1 in plane p.
  uint32_t planes_of_code(int code) const { return code_planes_[code - 1]; }
  // planes_of_code(k + 1) for k = 0..K-1.
  const std::vector<uint32_t>& code_planes() const { return code_planes_; }
  // value = sum_p plane_weight(p) * plane_p: q_1 * 2^p (bit-serial) or q_p+1 - q_p
  // (thermometer), in double.
  double plane_weight(int plane) const { return plane_weights_[plane]; }
  // q_1, the step of uniform levels.
  double step() const { return levels_.empty() ? 0.0 : levels_[0]; }

  // Whether q_k == k * q_1 within 2 ulp of q_k for every k.
  static bool uniform(const std::vector<float>& levels);

 private:
  std::vector<float> levels_;
  Encoding encoding_ = Encoding::kThermometer;
  int planes_ = 0;
  std::vector<uint32_t> code_planes_;
  std::vector<double> plane_weights_;
};

// A float N x C x H x W tensor of Quant outputs as bit planes, channels split into `groups`
// runs of C / groups (each run starts a new word so a grouped convolution reads whole words).
//
// Layout of `bits` (pixel-major, so a convolution tap reads one contiguous run):
//   bits[((((n * height + y) * width + x) * groups + g) * planes + p) * words_per_group + word]
// bit c % 64 of word c / 64 is plane p of channel g * C / groups + c's code at (n, y, x);
// bits past C / groups are 0. A position outside the image (zero padding) reads as all
// planes 0, i.e. the value 0, which is what the float path's zero padding contributes.
// ones[(((n * height + y) * width + x) * groups + g) * planes + p] is the popcount of that
// pixel's plane over the group's words (the popcount(plane) term of the dot product).
struct PackedActivations {
  int num = 0;
  int channels = 0;
  int height = 0;
  int width = 0;
  int groups = 1;
  int words_per_group = 0;  // words_for_channels(channels / groups)
  ActivationLevels levels;
  std::vector<uint64_t> bits;
  std::vector<int32_t> ones;

  int planes() const { return levels.planes(); }
  // Words per pixel: all groups, all planes.
  size_t pixel_words() const { return size_t(groups) * planes() * words_per_group; }
};

}  // namespace hwgq::kernels
