#ifdef HWGQ_WITH_DNNL

#include "conv_dnnl_engine.hpp"

#include <dnnl.hpp>

#include <unordered_map>
#include <vector>

#include "hwgq/common.hpp"

namespace hwgq {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr memory::data_type kF32 = memory::data_type::f32;
constexpr memory::data_type kBF16 = memory::data_type::bf16;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// A tensor the caller holds in a plain float layout (NCHW, OIHW) where a primitive may want
// another layout or data type (bfloat16 inputs): the caller's memory, re-pointed at every
// call, and, when the two differ, a buffer as the primitive wants it with the reorder
// between the two (a float to bfloat16 reorder rounds to nearest even).
class Staged {
 public:
  enum class Direction { Into, OutOf };

  Staged(const memory::desc& plain, const memory::desc& wanted, Direction direction)
      : user_(plain, cpu_engine(), DNNL_MEMORY_NONE), same_(plain == wanted) {
    if (same_) return;
    buffer_ = memory(wanted, cpu_engine());
    convert_ = direction == Direction::Into ? dnnl::reorder(user_, buffer_) : dnnl::reorder(buffer_, user_);
  }

  // An input: the memory to hand to the primitive, holding `data` in its layout.
  memory& in(const float* data, dnnl::stream& stream) {
    user_.set_data_handle(const_cast<float*>(data));
    if (same_) return user_;
    convert_.execute(stream, user_, buffer_);
    return buffer_;
  }
  // An output: the memory the primitive writes; finish() then moves it into `data`.
  memory& out(float* data) {
    user_.set_data_handle(data);
    return same_ ? user_ : buffer_;
  }
  void finish(dnnl::stream& stream) {
    if (!same_) convert_.execute(stream, buffer_, user_);
  }

 private:
  memory user_;
  memory buffer_;
  dnnl::reorder convert_;
  bool same_;
};

}  // namespace

struct DnnlConvolution::Impl {
  memory::desc src_plain, weights_plain, bias_plain, dst_plain;
  memory::dims strides, dilates, padding;
  bool bias_term;
  size_t weight_count;
  // What the backward primitives read: kF32, or kBF16 for ConvBackwardPrecision::BFloat16.
  memory::data_type backward_input = kF32;

  dnnl::convolution_forward::primitive_desc forward_pd;
  dnnl::convolution_forward forward;
  std::unique_ptr<Staged> forward_src, forward_weights, forward_dst;
  memory bias;

  // The backward primitives are made on first use (test nets never run them).
  std::unique_ptr<dnnl::convolution_backward_data> backward_data;
  std::unique_ptr<Staged> data_diff_dst, data_weights, data_diff_src;
  std::unique_ptr<dnnl::convolution_backward_weights> backward_weights;
  std::unique_ptr<Staged> weights_src, weights_diff_dst, weights_diff;
  std::vector<float> weight_gradient;

  memory::desc any(const memory::desc& plain, memory::data_type type = kF32) const {
    return memory::desc(plain.dims(), type, Tag::any);
  }

  // The forward primitive descriptor a backward one is made against (oneDNN picks matching
  // layouts from it): the float forward's, or for bfloat16 inputs one of a bfloat16
  // forward, which is never run.
  dnnl::convolution_forward::primitive_desc backward_hint() const {
    if (backward_input == kF32) return forward_pd;
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                               any(src_plain, kBF16), any(weights_plain, kBF16),
                                               any(dst_plain, kBF16), strides, dilates, padding, padding);
    return dnnl::convolution_forward::primitive_desc(desc, cpu_engine());
  }

  // The inputs in backward_input, the outputs (diff_src, diff_weights) always float.
  void make_backward_data() {
    const dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, any(src_plain),
                                                      any(weights_plain, backward_input),
                                                      any(dst_plain, backward_input), strides, dilates, padding,
                                                      padding);
    const dnnl::convolution_backward_data::primitive_desc pd(desc, cpu_engine(), backward_hint());
    data_diff_dst = std::make_unique<Staged>(dst_plain, pd.diff_dst_desc(), Staged::Direction::Into);
    data_weights = std::make_unique<Staged>(weights_plain, pd.weights_desc(), Staged::Direction::Into);
    data_diff_src = std::make_unique<Staged>(src_plain, pd.diff_src_desc(), Staged::Direction::OutOf);
    backward_data = std::make_unique<dnnl::convolution_backward_data>(pd);
  }

  void make_backward_weights() {
    const dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct,
                                                         any(src_plain, backward_input), any(weights_plain),
                                                         any(dst_plain, backward_input), strides, dilates, padding,
                                                         padding);
    const dnnl::convolution_backward_weights::primitive_desc pd(desc, cpu_engine(), backward_hint());
    weights_src = std::make_unique<Staged>(src_plain, pd.src_desc(), Staged::Direction::Into);
    weights_diff_dst = std::make_unique<Staged>(dst_plain, pd.diff_dst_desc(), Staged::Direction::Into);
    weights_diff = std::make_unique<Staged>(weights_plain, pd.diff_weights_desc(), Staged::Direction::OutOf);
    weight_gradient.resize(weight_count);
    backward_weights = std::make_unique<dnnl::convolution_backward_weights>(pd);
  }
};

namespace {

[[noreturn]] void rethrow(const dnnl::error& e, const char* what) {
  HWGQ_FAIL("oneDNN convolution (" << what << "): " << e.what() << " (status " << static_cast<int>(e.status)
                                   << "); HWGQ_CONV_ENGINE=im2col runs it without oneDNN");
}

}  // namespace

DnnlConvolution::DnnlConvolution(const Conv2dGeometry& geom, int num, int num_output, int group, bool bias_term,
                                 ConvBackwardPrecision backward_precision)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.backward_input = backward_precision == ConvBackwardPrecision::BFloat16 ? kBF16 : kF32;
  const memory::dim c = geom.channels, o = num_output, g = group;
  s.src_plain = memory::desc({num, c, geom.height, geom.width}, kF32, Tag::nchw);
  s.dst_plain = memory::desc({num, o, geom.out_height(), geom.out_width()}, kF32, Tag::nchw);
  s.weights_plain = group == 1 ? memory::desc({o, c, geom.kernel_h, geom.kernel_w}, kF32, Tag::oihw)
                               : memory::desc({g, o / g, c / g, geom.kernel_h, geom.kernel_w}, kF32, Tag::goihw);
  s.bias_plain = memory::desc({o}, kF32, Tag::x);
  s.strides = {geom.stride_h, geom.stride_w};
  // oneDNN counts dilation from 0 (no gaps), Caffe from 1.
  s.dilates = {geom.dilation_h - 1, geom.dilation_w - 1};
  // Symmetric padding: oneDNN rounds the output size down like Caffe, so the same padding on
  // both sides gives Caffe's output size.
  s.padding = {geom.pad_h, geom.pad_w};
  s.bias_term = bias_term;
  s.weight_count = static_cast<size_t>(o) * (c / g) * geom.kernel_h * geom.kernel_w;
  try {
    const auto algorithm = dnnl::algorithm::convolution_direct;
    const auto kind = dnnl::prop_kind::forward_training;
    const dnnl::convolution_forward::desc desc =
        bias_term ? dnnl::convolution_forward::desc(kind, algorithm, s.any(s.src_plain), s.any(s.weights_plain),
                                                     s.bias_plain, s.any(s.dst_plain), s.strides, s.dilates,
                                                     s.padding, s.padding)
                  : dnnl::convolution_forward::desc(kind, algorithm, s.any(s.src_plain), s.any(s.weights_plain),
                                                     s.any(s.dst_plain), s.strides, s.dilates, s.padding, s.padding);
    s.forward_pd = dnnl::convolution_forward::primitive_desc(desc, cpu_engine());
    s.forward_src = std::make_unique<Staged>(s.src_plain, s.forward_pd.src_desc(), Staged::Direction::Into);
    s.forward_weights =
        std::make_unique<Staged>(s.weights_plain, s.forward_pd.weights_desc(), Staged::Direction::Into);
    s.forward_dst = std::make_unique<Staged>(s.dst_plain, s.forward_pd.dst_desc(), Staged::Direction::OutOf);
    if (bias_term) s.bias = memory(s.bias_plain, cpu_engine(), DNNL_MEMORY_NONE);
    s.forward = dnnl::convolution_forward(s.forward_pd);
  } catch (const dnnl::error& e) {
    rethrow(e, "forward setup");
  }
}

DnnlConvolution::~DnnlConvolution() = default;

void DnnlConvolution::make_backward(bool weights, bool data) {
  Impl& s = *impl_;
  try {
    if (weights && !s.backward_weights) s.make_backward_weights();
    if (data && !s.backward_data) s.make_backward_data();
  } catch (const dnnl::error& e) {
    rethrow(e, "backward setup");
  }
}

void DnnlConvolution::forward(const float* x, const float* w, const float* bias, float* y) {
  Impl& s = *impl_;
  try {
    dnnl::stream stream(cpu_engine());
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, s.forward_src->in(x, stream)},
                                            {DNNL_ARG_WEIGHTS, s.forward_weights->in(w, stream)},
                                            {DNNL_ARG_DST, s.forward_dst->out(y)}};
    if (s.bias_term) {
      s.bias.set_data_handle(const_cast<float*>(bias));
      args[DNNL_ARG_BIAS] = s.bias;
    }
    s.forward.execute(stream, args);
    s.forward_dst->finish(stream);
    stream.wait();
  } catch (const dnnl::error& e) {
    rethrow(e, "forward");
  }
}

void DnnlConvolution::backward_data(const float* dy, const float* w, float* dx) {
  Impl& s = *impl_;
  try {
    if (!s.backward_data) s.make_backward_data();
    dnnl::stream stream(cpu_engine());
    s.backward_data->execute(stream, {{DNNL_ARG_DIFF_DST, s.data_diff_dst->in(dy, stream)},
                                      {DNNL_ARG_WEIGHTS, s.data_weights->in(w, stream)},
                                      {DNNL_ARG_DIFF_SRC, s.data_diff_src->out(dx)}});
    s.data_diff_src->finish(stream);
    stream.wait();
  } catch (const dnnl::error& e) {
    rethrow(e, "backward data");
  }
}

void DnnlConvolution::backward_weights(const float* x, const float* dy, float* dw) {
  Impl& s = *impl_;
  try {
    if (!s.backward_weights) s.make_backward_weights();
    dnnl::stream stream(cpu_engine());
    s.backward_weights->execute(stream, {{DNNL_ARG_SRC, s.weights_src->in(x, stream)},
                                         {DNNL_ARG_DIFF_DST, s.weights_diff_dst->in(dy, stream)},
                                         {DNNL_ARG_DIFF_WEIGHTS, s.weights_diff->out(s.weight_gradient.data())}});
    s.weights_diff->finish(stream);
    stream.wait();
  } catch (const dnnl::error& e) {
    rethrow(e, "backward weights");
  }
  const float* g = s.weight_gradient.data();
  for (size_t i = 0; i < s.weight_count; ++i) dw[i] += g[i];
}

}  // namespace hwgq

#endif  // HWGQ_WITH_DNNL
