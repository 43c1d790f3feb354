#include "hwgq/layers/quant_layer.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <sstream>

#include "hwgq/kernels/quant_kernels.hpp"
#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/quant/normalized_threshold.hpp"

namespace hwgq {

namespace {

const char* const kForwardNames = "hwgq, sign, hard_tanh, relu";
const char* const kBackwardNames = "relu, hard_tanh, log_tailed";

// Elementwise loops run over fixed-size blocks; big blobs spread the blocks over OpenMP
// threads, small ones stay on one thread where starting a team would cost more than the
// work.
constexpr int kBlock = 8192;
constexpr int kMinParallelBlocks = 4;

template <class Body>
void for_blocks(int count, Body body) {
  const int blocks = (count + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (blocks >= kMinParallelBlocks)
  for (int b = 0; b < blocks; ++b) body(b * kBlock, std::min(count, (b + 1) * kBlock));
}

// The fused forward's buffer: elements normalised at a time when cuts cannot be used.
constexpr int kSubBlock = 512;

constexpr int kMaxFixedCenters = kernels::QuantKernels::kMaxFixedCenters;

std::string join(const google::protobuf::RepeatedField<float>& values) {
  std::ostringstream out;
  for (int i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values.Get(i);
  return out.str();
}

}  // namespace

void QuantLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const QuantParameter& p = param_.quant_param();

  const std::string& fwd = p.forward_func();
  if (fwd == "hwgq") {
    forward_ = Forward::kHwgq;
  } else if (fwd == "sign") {
    forward_ = Forward::kSign;
  } else if (fwd == "hard_tanh") {
    forward_ = Forward::kHardTanh;
  } else if (fwd == "relu") {
    forward_ = Forward::kRelu;
  } else {
    HWGQ_FAIL(where() << "unknown quant_param.forward_func \"" << fwd << "\"; known: " << kForwardNames);
  }
  const std::string& bwd = p.backward_func();
  if (bwd == "relu") {
    backward_ = Backward::kRelu;
  } else if (bwd == "hard_tanh") {
    backward_ = Backward::kHardTanh;
  } else if (bwd == "log_tailed") {
    backward_ = Backward::kLogTailed;
  } else {
    HWGQ_FAIL(where() << "unknown quant_param.backward_func \"" << bwd << "\"; known: " << kBackwardNames);
  }

  HWGQ_REQUIRE(std::isfinite(p.negative_slope()),
               where() << "quant_param.negative_slope must be finite, got " << p.negative_slope());
  HWGQ_REQUIRE(!std::isnan(p.clip_thr()), where() << "quant_param.clip_thr must be a number, got nan");

  check_centers();
  centers_.assign(p.centers().begin(), p.centers().end());
  thresholds_.clear();
  // Computed in float, as the fork does, so that inputs exactly at a midpoint land in the
  // same cell here and there.
  for (size_t j = 0; j + 1 < centers_.size(); ++j) thresholds_.push_back(0.5f * (centers_[j] + centers_[j + 1]));
  if (forward_ == Forward::kHwgq) {
    HWGQ_REQUIRE(!centers_.empty(), where() << "forward_func \"hwgq\" needs at least one quant_param.centers value "
                                               "(e.g. centers: 0.538 centers: 1.076 centers: 1.614)");
    warn_if_thresholds_ignored();
  }

  negative_slope_ = p.negative_slope();
  // The fork replaces clip_thr <= 0 by FLT_MAX for every backward function: no clipping.
  clip_ = p.clip_thr() > 0 ? p.clip_thr() : FLT_MAX;
  if (backward_ == Backward::kLogTailed) {
    HWGQ_REQUIRE(p.clip_thr() > 0 || !centers_.empty(),
                 where() << "backward_func \"log_tailed\" needs q_m: give quant_param.centers (q_m = the largest) "
                            "or clip_thr > 0");
    log_tail_start_ = p.clip_thr() > 0 ? p.clip_thr() : centers_.back();
    HWGQ_REQUIRE(std::isfinite(log_tail_start_),
                 where() << "backward_func \"log_tailed\" needs a finite q_m, got clip_thr = " << p.clip_thr());
  }
}

void QuantLayer::check_centers() const {
  const auto& c = param_.quant_param().centers();
  for (int j = 0; j < c.size(); ++j) {
    HWGQ_REQUIRE(std::isfinite(c.Get(j)) && c.Get(j) > 0.f,
                 where() << "quant_param.centers must be positive, finite and strictly ascending; centers[" << j
                         << "] = " << c.Get(j) << " (centers: " << join(c) << ")");
    HWGQ_REQUIRE(j == 0 || c.Get(j) > c.Get(j - 1),
                 where() << "quant_param.centers must be strictly ascending; centers[" << j << "] = " << c.Get(j)
                         << " does not exceed centers[" << j - 1 << "] = " << c.Get(j - 1) << " (centers: " << join(c)
                         << ")");
  }
}

void QuantLayer::warn_if_thresholds_ignored() const {
  const auto& given = param_.quant_param().thrs();
  if (given.empty()) return;
  const int k = static_cast<int>(centers_.size());
  auto close = [](float a, float b) { return std::fabs(a - b) <= 5e-4f * std::max(1.f, std::fabs(b)); };
  auto matches_from = [&](int offset) {
    for (int j = 0; j + 1 < k; ++j) {
      if (!close(given.Get(offset + j), thresholds_[j])) return false;
    }
    return true;
  };
  // Accepted spellings of the same quantizer: the K-1 midpoints; the paper's t_1 = 0
  // followed by them; the fork's internal list ending in FLT_MAX.
  bool agrees = false;
  if (given.size() == k - 1) {
    agrees = matches_from(0);
  } else if (given.size() == k) {
    agrees = (given.Get(0) == 0.f && matches_from(1)) || (given.Get(k - 1) >= 0.5f * FLT_MAX && matches_from(0));
  }
  if (agrees) return;
  std::ostringstream midpoints;
  midpoints << "0";
  for (float t : thresholds_) midpoints << ", " << t;
  LOG(WARNING) << where() << "quant_param.thrs (" << join(given)
               << ") is ignored; the thresholds are the midpoints of the centers, 0 first as in the authors' code: "
               << midpoints.str();
}

void QuantLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  if (top[0] != bottom[0]) top[0]->reshape_like(*bottom[0]);
}

void QuantLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  if (output_written_) {
    // The packed layer before the folded BatchNorm computed this output (producer_codes).
    output_written_ = false;
    return;
  }
  if (fused_bn_) {
    forward_fused_cpu(top);
    return;
  }
  if (training_bn_) {
    forward_training_fused_cpu(top);
    return;
  }
  const int count = bottom[0]->count();
  if (top[0] == bottom[0]) {
    input_copy_.reshape_like(*bottom[0]);
    std::copy_n(bottom[0]->cpu_data(), count, input_copy_.mutable_cpu_data());
  }
  const float* x = bottom[0]->cpu_data();
  float* y = top[0]->mutable_cpu_data();
  for_blocks(count, [=](int begin, int end) { forward_block(x + begin, y + begin, end - begin); });
}

void QuantLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  if (!propagate_down[0]) return;
  HWGQ_REQUIRE(!fused_bn_, where() << "is fused with BatchNorm for inference and has no backward "
                                      "(build the net with force_backward or fuse_batch_norm_quant: false)");
  if (training_bn_) {
    backward_training_fused_cpu(top);
    return;
  }
  const int count = bottom[0]->count();
  const float* x = top[0] == bottom[0] ? input_copy_.cpu_data() : bottom[0]->cpu_data();
  const float* dy = top[0]->cpu_diff();
  float* dx = bottom[0]->mutable_cpu_diff();
  for_blocks(count, [=](int begin, int end) { backward_block(x + begin, dy + begin, dx + begin, end - begin); });
}

void QuantLayer::backward_block(const float* x, const float* dy, float* dx, int m) const {
  const kernels::QuantKernels& k = kernels::quant_kernels();
  switch (backward_) {
    case Backward::kRelu:
      k.relu_backward(x, dy, dx, 0, m, negative_slope_, clip_);
      break;
    case Backward::kHardTanh:
      k.hard_tanh_backward(x, dy, dx, 0, m, clip_);
      break;
    case Backward::kLogTailed:
      k.log_tailed_backward(x, dy, dx, 0, m, log_tail_start_);
      break;
  }
}

void QuantLayer::fuse_batch_norm_for_training(BatchNormLayer* bn, Blob* bn_bottom) {
  HWGQ_REQUIRE(!bn || (bn_bottom && !bn->use_global_stats()),
               where() << "can only be fused for training with a BatchNorm that takes batch statistics");
  HWGQ_REQUIRE(!bn || !fused_bn_, where() << "already has a BatchNorm folded into it for inference");
  if (training_bn_) training_bn_->set_normalized_by_reader(false);
  training_bn_ = bn;
  training_input_ = bn ? bn_bottom : nullptr;
  if (bn) bn->set_normalized_by_reader(true);
}

// One pass over BatchNorm's input x: v = (x - mean_c) * inv_std_c with BatchNorm's own two
// float operations and the batch statistics its forward just took, kept in input_copy_
// (what the unfused Quant's backward reads, and BatchNorm's backward needs as y), then the
// forward function from there while the row is in cache: the unfused values bit for bit.
void QuantLayer::forward_training_fused_cpu(const BlobVec& top) {
  const Blob& in = *training_input_;
  const int count = in.count();
  HWGQ_REQUIRE(count == top[0]->count(), where() << "fused BatchNorm input " << in.shape_string() << " vs top "
                                                 << top[0]->shape_string());
  const int N = in.num_axes() > 0 ? in.shape(0) : 1;
  const int C = in.num_axes() > 1 ? in.shape(1) : 1;
  const int S = in.num_axes() > 2 ? in.count(2) : 1;
  HWGQ_REQUIRE(C == training_bn_->channels(), where() << "fused BatchNorm input " << in.shape_string() << " has " << C
                                                      << " channels, BatchNorm " << training_bn_->channels());
  input_copy_.reshape_like(in);
  if (count == 0) return;
  const float* mean = training_bn_->batch_mean();
  const float* inv_std = training_bn_->batch_inv_std();
  // In place (in-place BatchNorm and Quant) y is x: the row is read into v, then written.
  const float* x = in.cpu_data();
  float* v = input_copy_.mutable_cpu_data();
  float* y = top[0]->mutable_cpu_data();
  const bool parallel = count >= kBlock * kMinParallelBlocks;
  if (S == 1) {
#pragma omp parallel for if (parallel)
    for (int s = 0; s < N; ++s) {
      const float* xs = x + size_t(s) * C;
      float* vs = v + size_t(s) * C;
#pragma omp simd
      for (int c = 0; c < C; ++c) vs[c] = batch_normalized(xs[c], mean[c], inv_std[c]);
      forward_block(vs, y + size_t(s) * C, C);
    }
    return;
  }
  const int64_t rows = int64_t(N) * C;
#pragma omp parallel for if (parallel)
  for (int64_t r = 0; r < rows; ++r) {
    const float mu = mean[r % C];
    const float k = inv_std[r % C];
    const float* xr = x + r * S;
    float* vr = v + r * S;
#pragma omp simd
    for (int i = 0; i < S; ++i) vr[i] = batch_normalized(xr[i], mu, k);
    forward_block(vr, y + r * S, S);
  }
}

// BatchNorm's backward with this layer's masked gradient made a row at a time from the
// saved v and the top's gradient: two passes over them (per-channel sums, then dx)
// instead of writing the masked gradient and reading it back twice.
void QuantLayer::backward_training_fused_cpu(const BlobVec& top) {
  class MaskedGradient final : public BatchNormLayer::OutputGradient {
   public:
    MaskedGradient(const QuantLayer& quant, const float* dtop) : quant_(quant), dtop_(dtop) {}
    const float* get(size_t offset, int n, const float* v, float* buffer) const override {
      quant_.backward_block(v, dtop_ + offset, buffer, n);
      return buffer;
    }

   private:
    const QuantLayer& quant_;
    const float* dtop_;
  };
  HWGQ_REQUIRE(input_copy_.count() == top[0]->count(),
               where() << "backward without the fused forward before it (saved " << input_copy_.shape_string()
                       << ", top " << top[0]->shape_string() << ")");
  if (top[0]->count() == 0) return;
  training_bn_->batch_backward_cpu(input_copy_.cpu_data(), MaskedGradient(*this, top[0]->cpu_diff()),
                                   training_input_->mutable_cpu_diff());
}

void QuantLayer::fuse_batch_norm(BatchNormLayer* bn, Blob* bn_bottom) {
  CHECK(!bn || (bn_bottom && bn->use_global_stats())) << where() << "can only fold a BatchNorm with global statistics";
  fused_bn_ = bn;
  fused_input_ = bn ? bn_bottom : nullptr;
  fused_mean_.clear();
  fused_inv_std_.clear();
  fused_cuts_.clear();
}

bool QuantLayer::producer_codes(kernels::OutputCodes* codes) {
  if (!fused_bn_ || forward_ != Forward::kHwgq || !fused_uses_cuts()) return false;
  const float* mean = nullptr;
  const float* inv_std = nullptr;
  fused_bn_->global_normalization_cpu(&mean, &inv_std);
  const int channels = fused_bn_->channels();
  if (!update_fused_cuts(mean, inv_std, channels)) return false;
  code_values_.assign(1, -negative_slope_);
  code_values_.insert(code_values_.end(), centers_.begin(), centers_.end());
  codes->cuts = fused_cuts_.data();
  codes->rows = fused_cut_rows();
  codes->channels = channels;
  codes->values = code_values_.data();
  return true;
}

bool QuantLayer::fused_uses_cuts() const {
  return (forward_ == Forward::kHwgq && centers_.size() <= size_t(kMaxFixedCenters)) || forward_ == Forward::kSign;
}

int QuantLayer::fused_cut_rows() const {
  return forward_ == Forward::kHwgq ? static_cast<int>(centers_.size()) : 1;
}

bool QuantLayer::update_fused_cuts(const float* mean, const float* inv_std, int channels) {
  if (channels == 0) return false;
  const size_t bytes = sizeof(float) * size_t(channels);
  // Bitwise equal statistics give the same cuts: a deploy net makes them once, a test net
  // sharing a training net's weights once per test pass.
  if (fused_mean_.size() == size_t(channels) && std::memcmp(fused_mean_.data(), mean, bytes) == 0 &&
      std::memcmp(fused_inv_std_.data(), inv_std, bytes) == 0) {
    return !fused_cuts_.empty();
  }
  fused_mean_.assign(mean, mean + channels);
  fused_inv_std_.assign(inv_std, inv_std + channels);
  fused_cuts_.clear();
  for (int c = 0; c < channels; ++c) {
    if (!normalization_is_monotone(mean[c], inv_std[c])) return false;
  }
  const int rows = fused_cut_rows();
  fused_cuts_.resize(size_t(rows) * channels);
  const bool inclusive = forward_ == Forward::kSign;
  const float* thr = thresholds_.data();
  float* cuts = fused_cuts_.data();
#pragma omp parallel for if (channels * rows >= 4096)
  for (int c = 0; c < channels; ++c) {
    for (int r = 0; r < rows; ++r) {
      cuts[size_t(r) * channels + c] = normalized_threshold(mean[c], inv_std[c], r == 0 ? 0.f : thr[r - 1], inclusive);
    }
  }
  return true;
}

void QuantLayer::forward_block(const float* x, float* y, int m) const {
  const float low = -negative_slope_;
  const kernels::QuantKernels& k = kernels::quant_kernels();
  switch (forward_) {
    case Forward::kHwgq:
      k.hwgq(x, y, 0, m, thresholds_.data(), centers_.data(), static_cast<int>(centers_.size()), low);
      break;
    case Forward::kSign:
      k.sign(x, y, 0, m);
      break;
    case Forward::kHardTanh:
      k.hard_tanh(x, y, 0, m);
      break;
    case Forward::kRelu:
      k.relu(x, y, 0, m, negative_slope_);
      break;
  }
}

// One pass over BatchNorm's input x: either x against per-channel cuts (hwgq with up to 16
// centers, sign), or v = (x - mean) * inv_std per element with BatchNorm's own two float
// operations, quantized from a small buffer (relu and hard_tanh output v itself; more
// centers; statistics that are not finite with inv_std > 0). Both give exactly the unfused
// BatchNorm-then-Quant output.
void QuantLayer::forward_fused_cpu(const BlobVec& top) {
  const Blob& in = *fused_input_;
  const int count = in.count();
  CHECK_EQ(count, top[0]->count()) << where() << "fused input " << in.shape_string() << " vs top "
                                   << top[0]->shape_string();
  const int N = in.num_axes() > 0 ? in.shape(0) : 1;
  const int C = in.num_axes() > 1 ? in.shape(1) : 1;
  const int S = in.num_axes() > 2 ? in.count(2) : 1;
  CHECK_EQ(C, fused_bn_->channels()) << where();
  const float* mean = nullptr;
  const float* inv_std = nullptr;
  fused_bn_->global_normalization_cpu(&mean, &inv_std);
  const bool use_cuts = fused_uses_cuts() && update_fused_cuts(mean, inv_std, C);
  if (count == 0) return;
  // In place (in-place BatchNorm and Quant) y is x: each element is read, then written.
  const float* x = in.cpu_data();
  float* y = top[0]->mutable_cpu_data();
  const bool parallel = count >= kBlock * kMinParallelBlocks;
  const int64_t rows = int64_t(N) * C;

  if (use_cuts) {
    const kernels::QuantKernels& k = kernels::quant_kernels();
    const float* cut = fused_cuts_.data();
    if (forward_ == Forward::kHwgq) {
      const float* ctr = centers_.data();
      const float low = -negative_slope_;
      const int n = static_cast<int>(centers_.size());
      if (S == 1) {
#pragma omp parallel for if (parallel)
        for (int s = 0; s < N; ++s) k.fused_hwgq_channels(x + size_t(s) * C, y + size_t(s) * C, C, cut, C, ctr, n, low);
      } else {
#pragma omp parallel for if (parallel)
        for (int64_t r = 0; r < rows; ++r) k.fused_hwgq_row(x + r * S, y + r * S, S, cut + r % C, C, ctr, n, low);
      }
    } else {
      if (S == 1) {
#pragma omp parallel for if (parallel)
        for (int s = 0; s < N; ++s) k.fused_sign_channels(x + size_t(s) * C, y + size_t(s) * C, C, cut);
      } else {
#pragma omp parallel for if (parallel)
        for (int64_t r = 0; r < rows; ++r) k.fused_sign_row(x + r * S, y + r * S, S, cut[r % C]);
      }
    }
    return;
  }

  if (S == 1) {
#pragma omp parallel for if (parallel)
    for (int s = 0; s < N; ++s) {
      float v[kSubBlock];
      for (int c0 = 0; c0 < C; c0 += kSubBlock) {
        const int m = std::min(kSubBlock, C - c0);
        const float* xs = x + size_t(s) * C + c0;
        for (int i = 0; i < m; ++i) v[i] = batch_normalized(xs[i], mean[c0 + i], inv_std[c0 + i]);
        forward_block(v, y + size_t(s) * C + c0, m);
      }
    }
    return;
  }
#pragma omp parallel for if (parallel)
  for (int64_t r = 0; r < rows; ++r) {
    float v[kSubBlock];
    const float mu = mean[r % C];
    const float k = inv_std[r % C];
    for (int s0 = 0; s0 < S; s0 += kSubBlock) {
      const int m = std::min(kSubBlock, S - s0);
      const float* xr = x + r * S + s0;
      for (int i = 0; i < m; ++i) v[i] = batch_normalized(xr[i], mu, k);
      forward_block(v, y + r * S + s0, m);
    }
  }
}

}  // namespace hwgq
