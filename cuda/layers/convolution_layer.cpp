// Convolution (and through it BinaryConvolution) on the GPU with cuDNN: one call per pass
// for the whole batch, groups included. For each input shape the layer picks cuDNN's
// fastest algorithm per pass whose scratch fits the workspace limit (cudnnFind, i.e.
// timed runs, or with HWGQ_CUDNN_FIND=0 the cheaper heuristic cudnnGet*_v7) and keeps the
// choice, so nets that alternate shapes do not search again.
//
// Environment:
//   HWGQ_CUDNN_FIND=0              heuristics instead of timed search
//   HWGQ_CUDNN_WORKSPACE_MB=<n>    workspace limit per pass (default 1024)
#include <glog/logging.h>

#include <array>
#include <cstdlib>
#include <map>
#include <string>

#include "hwgq/layers/convolution_layer.hpp"
#include "hwgq/util/cuda.hpp"
#include "hwgq/util/cudnn.hpp"

namespace hwgq {

namespace {

size_t workspace_limit() {
  static const size_t limit = [] {
    const char* value = std::getenv("HWGQ_CUDNN_WORKSPACE_MB");
    const long mb = value ? std::atol(value) : 1024;
    return size_t(mb > 0 ? mb : 0) << 20;
  }();
  return limit;
}

bool timed_search() {
  static const bool find = [] {
    const char* value = std::getenv("HWGQ_CUDNN_FIND");
    return !(value && std::string(value) == "0");
  }();
  return find;
}

// Without TF32 only plain float32 (FMA) algorithms qualify.
bool math_allowed(cudnnMathType_t math) { return cuda::tf32_allowed() || math == CUDNN_FMA_MATH; }

// The first (fastest, as cuDNN sorts them) usable result, or null.
template <class Perf>
const Perf* pick(const Perf* results, int count) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status == CUDNN_STATUS_SUCCESS && r.memory <= workspace_limit() && math_allowed(r.mathType)) return &r;
  }
  return nullptr;
}

struct Choice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;
  size_t bytes = 0;
};

template <class Perf>
Choice choice_from(const Perf& perf) {
  return Choice{static_cast<int>(perf.algo), perf.mathType, perf.memory};
}

}  // namespace

struct ConvolutionLayer::GpuState {
  cudnn::TensorDesc x, y, bias;
  cudnn::FilterDesc w;
  cudnn::ConvolutionDesc conv;
  // N, H, W and TF32 setting the descriptors currently describe (channels are fixed).
  std::array<int, 4> key{-1, -1, -1, -1};
  struct Algorithms {
    Choice forward, backward_data, backward_filter;
  };
  std::map<std::array<int, 4>, Algorithms> chosen;
  const Algorithms* current = nullptr;
};

void ConvolutionLayer::prepare_gpu(const Blob& bottom) {
  if (!gpu_) gpu_ = std::make_shared<GpuState>();
  GpuState& s = *gpu_;
  const std::array<int, 4> key = {num_, geom_.height, geom_.width, cuda::tf32_allowed() ? 1 : 0};
  if (key == s.key && s.current) return;
  const int out_h = geom_.out_height(), out_w = geom_.out_width();
  s.x.set(num_, channels_, geom_.height, geom_.width);
  s.y.set(num_, num_output_, out_h, out_w);
  s.bias.set(1, num_output_, 1, 1);
  s.w.set(num_output_, channels_ / group_, geom_.kernel_h, geom_.kernel_w);
  s.conv.set(geom_.pad_h, geom_.pad_w, geom_.stride_h, geom_.stride_w, geom_.dilation_h, geom_.dilation_w, group_);
  s.key = key;

  auto found = s.chosen.find(key);
  if (found != s.chosen.end()) {
    s.current = &found->second;
    return;
  }
  GpuState::Algorithms a;
  cudnnHandle_t handle = cudnn::handle();
  constexpr int kMax = 16;
  int n = 0;
  {
    cudnnConvolutionFwdAlgoPerf_t perf[kMax];
    if (timed_search()) {
      HWGQ_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(handle, s.x, s.w, s.conv, s.y, kMax, &n, perf));
    } else {
      HWGQ_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle, s.x, s.w, s.conv, s.y, kMax, &n, perf));
    }
    if (const auto* best = pick(perf, n)) {
      a.forward = choice_from(*best);
    } else {
      // Implicit GEMM needs no scratch and handles every float configuration.
      a.forward = Choice{CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_FMA_MATH, 0};
      LOG(WARNING) << where() << "no cuDNN forward algorithm fits the workspace limit; using implicit GEMM";
    }
  }
  {
    cudnnConvolutionBwdDataAlgoPerf_t perf[kMax];
    if (timed_search()) {
      HWGQ_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(handle, s.w, s.y, s.conv, s.x, kMax, &n, perf));
    } else {
      HWGQ_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, s.w, s.y, s.conv, s.x, kMax, &n, perf));
    }
    if (const auto* best = pick(perf, n)) {
      a.backward_data = choice_from(*best);
    } else {
      a.backward_data = Choice{CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, CUDNN_FMA_MATH, 0};
      LOG(WARNING) << where() << "no cuDNN backward-data algorithm fits the workspace limit; using ALGO_0";
    }
  }
  {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[kMax];
    if (timed_search()) {
      HWGQ_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(handle, s.x, s.y, s.conv, s.w, kMax, &n, perf));
    } else {
      HWGQ_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, s.x, s.y, s.conv, s.w, kMax, &n, perf));
    }
    if (const auto* best = pick(perf, n)) {
      a.backward_filter = choice_from(*best);
    } else {
      a.backward_filter = Choice{CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, CUDNN_FMA_MATH, 0};
      LOG(WARNING) << where() << "no cuDNN backward-filter algorithm fits the workspace limit; using ALGO_0";
    }
  }
  // The fallbacks' scratch (and, for heuristic picks, the true size) comes from cuDNN.
  s.conv.set_math_type(a.forward.math);
  HWGQ_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
      handle, s.x, s.w, s.conv, s.y, static_cast<cudnnConvolutionFwdAlgo_t>(a.forward.algo), &a.forward.bytes));
  s.conv.set_math_type(a.backward_data.math);
  HWGQ_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
      handle, s.w, s.y, s.conv, s.x, static_cast<cudnnConvolutionBwdDataAlgo_t>(a.backward_data.algo),
      &a.backward_data.bytes));
  s.conv.set_math_type(a.backward_filter.math);
  HWGQ_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
      handle, s.x, s.y, s.conv, s.w, static_cast<cudnnConvolutionBwdFilterAlgo_t>(a.backward_filter.algo),
      &a.backward_filter.bytes));
  VLOG(1) << where() << "cuDNN algorithms for " << bottom.shape_string() << ": forward " << a.forward.algo << " ("
          << (a.forward.bytes >> 20) << " MiB), backward data " << a.backward_data.algo << " ("
          << (a.backward_data.bytes >> 20) << " MiB), backward filter " << a.backward_filter.algo << " ("
          << (a.backward_filter.bytes >> 20) << " MiB)";
  s.current = &(s.chosen[key] = a);
}

void ConvolutionLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  prepare_gpu(*bottom[0]);
  GpuState& s = *gpu_;
  const Choice& c = s.current->forward;
  const float* w = gpu_weights_for_forward();
  void* scratch = c.bytes ? cuda::workspace(c.bytes) : nullptr;
  const float one = 1.f, zero = 0.f;
  cudnnHandle_t handle = cudnn::handle();
  s.conv.set_math_type(c.math);
  float* y = top[0]->mutable_gpu_data();
  HWGQ_CUDNN_CHECK(cudnnConvolutionForward(handle, &one, s.x, bottom[0]->gpu_data(), s.w, w, s.conv,
                                           static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), scratch, c.bytes, &zero,
                                           s.y, y));
  if (bias_term_) HWGQ_CUDNN_CHECK(cudnnAddTensor(handle, &one, s.bias, blobs_[1]->gpu_data(), &one, s.y, y));
}

void ConvolutionLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                    const BlobVec& bottom) {
  prepare_gpu(*bottom[0]);
  GpuState& s = *gpu_;
  const float one = 1.f, zero = 0.f;
  cudnnHandle_t handle = cudnn::handle();
  const float* dy = top[0]->gpu_diff();
  // Parameter gradients accumulate (beta = 1); the bottom gradient is overwritten.
  if (bias_term_ && param_propagate_down(1)) {
    HWGQ_CUDNN_CHECK(cudnnConvolutionBackwardBias(handle, &one, s.y, dy, &one, s.bias, blobs_[1]->mutable_gpu_diff()));
  }
  if (param_propagate_down(0)) {
    const Choice& c = s.current->backward_filter;
    void* scratch = c.bytes ? cuda::workspace(c.bytes) : nullptr;
    s.conv.set_math_type(c.math);
    HWGQ_CUDNN_CHECK(cudnnConvolutionBackwardFilter(handle, &one, s.x, bottom[0]->gpu_data(), s.y, dy, s.conv,
                                                    static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), scratch,
                                                    c.bytes, &one, s.w, blobs_[0]->mutable_gpu_diff()));
  }
  if (propagate_down[0]) {
    const Choice& c = s.current->backward_data;
    const float* w = gpu_weights_for_backward();
    void* scratch = c.bytes ? cuda::workspace(c.bytes) : nullptr;
    s.conv.set_math_type(c.math);
    HWGQ_CUDNN_CHECK(cudnnConvolutionBackwardData(handle, &one, s.w, w, s.y, dy, s.conv,
                                                  static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), scratch, c.bytes,
                                                  &zero, s.x, bottom[0]->mutable_gpu_diff()));
  }
}

}  // namespace hwgq
