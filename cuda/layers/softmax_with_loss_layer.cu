// SoftmaxWithLoss on the GPU: the softmax through SoftmaxLayer (cuDNN), the loss and the
// gradient in kernels, with the CPU layer's label checks and normalisation.
#include <cfloat>
#include <climits>

#include "hwgq/layers/softmax_with_loss_layer.hpp"
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq {

namespace {

constexpr int kLossThreads = 512;

struct LossResult {
  double loss;
  int valid;
  int first_bad;  // the smallest position with an out-of-range label, or INT_MAX
};

// One block: the number of positions (batch x spatial) is small next to the scores.
__global__ void __launch_bounds__(kLossThreads)
    loss_kernel(int positions, int classes, int inner, const float* prob, const float* labels, bool has_ignore,
                int ignore_label, LossResult* result) {
  double loss = 0.0;
  int valid = 0;
  int first_bad = INT_MAX;
  for (int p = threadIdx.x; p < positions; p += kLossThreads) {
    const int label = static_cast<int>(labels[p]);
    if (has_ignore && label == ignore_label) continue;
    if (label < 0 || label >= classes) {
      first_bad = min(first_bad, p);
      continue;
    }
    const int o = p / inner, i = p % inner;
    // FLT_MIN bounds the loss of a probability that underflowed to 0.
    loss -= log(fmaxf(prob[(int64_t(o) * classes + label) * inner + i], FLT_MIN));
    ++valid;
  }
  __shared__ double shared_loss[kLossThreads / 32];
  __shared__ int shared_valid[kLossThreads / 32];
  __shared__ int shared_bad[kLossThreads / 32];
  for (int offset = 16; offset > 0; offset >>= 1) {
    loss += __shfl_down_sync(0xffffffffu, loss, offset);
    valid += __shfl_down_sync(0xffffffffu, valid, offset);
    first_bad = min(first_bad, __shfl_down_sync(0xffffffffu, first_bad, offset));
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    shared_loss[warp] = loss;
    shared_valid[warp] = valid;
    shared_bad[warp] = first_bad;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    LossResult r{0.0, 0, INT_MAX};
    for (int w = 0; w < kLossThreads / 32; ++w) {
      r.loss += shared_loss[w];
      r.valid += shared_valid[w];
      r.first_bad = min(r.first_bad, shared_bad[w]);
    }
    *result = r;
  }
}

// dx = (p - onehot(label)) * scale, zero at ignored positions. dx may alias prob.
__global__ void loss_gradient_kernel(int64_t n, int classes, int inner, const float* prob, const float* labels,
                                     bool has_ignore, int ignore_label, float scale, float* dx) {
  HWGQ_KERNEL_LOOP(index, n) {
    const int64_t o = index / (int64_t(classes) * inner);
    const int c = static_cast<int>((index / inner) % classes);
    const int i = static_cast<int>(index % inner);
    const int label = static_cast<int>(labels[o * inner + i]);
    if (has_ignore && label == ignore_label) {
      dx[index] = 0.f;
    } else {
      dx[index] = (prob[index] - (c == label ? 1.f : 0.f)) * scale;
    }
  }
}

}  // namespace

void SoftmaxWithLossLayer::forward_gpu(const BlobVec& bottom, const BlobVec& top) {
  softmax_->forward({bottom[0]}, {&prob_});
  const int positions = outer_ * inner_;
  LossResult result{0.0, 0, INT_MAX};
  if (positions > 0) {
    auto* device_result = static_cast<LossResult*>(cuda::workspace(sizeof(LossResult)));
    loss_kernel<<<1, kLossThreads>>>(positions, classes_, inner_, prob_.gpu_data(), bottom[1]->gpu_data(),
                                     has_ignore_label_, ignore_label_, device_result);
    HWGQ_KERNEL_CHECK();
    HWGQ_CUDA_CHECK(cudaMemcpy(&result, device_result, sizeof(LossResult), cudaMemcpyDeviceToHost));
  }
  // The CPU check raises the same message as a CPU run would.
  if (result.first_bad != INT_MAX) label_at(bottom[1]->cpu_data(), result.first_bad);
  gpu_valid_count_ = result.valid;
  top[0]->mutable_cpu_data()[0] = static_cast<float>(result.loss / normalizer(result.valid));
  if (top.size() > 1) gpu_copy(prob_.count(), prob_.gpu_data(), top[1]->mutable_gpu_data());
}

void SoftmaxWithLossLayer::backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down,
                                        const BlobVec& bottom) {
  HWGQ_REQUIRE(propagate_down.size() < 2 || !propagate_down[1],
               where() << "cannot propagate a gradient to the labels (bottom 1)");
  if (!propagate_down[0]) return;
  const int64_t n = prob_.count();
  if (n == 0) return;
  // top[0]'s diff holds the loss weight (set by Layer::setup or by the net).
  const float scale = top[0]->cpu_diff()[0] / normalizer(gpu_valid_count_);
  loss_gradient_kernel<<<cuda::blocks_for(n), cuda::kThreads>>>(n, classes_, inner_, prob_.gpu_data(),
                                                                bottom[1]->gpu_data(), has_ignore_label_,
                                                                ignore_label_, scale, bottom[0]->mutable_gpu_diff());
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq
