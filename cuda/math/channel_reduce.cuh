// Per-channel sums over a blob laid out outer x channels x inner (N x C x H*W for
// BatchNorm, the Scale layer's outer x dim x inner), used by the layers whose statistics
// or parameter gradients sum over everything but the channel.
//
//   channel_reduce(outer, channels, inner, term, finish)
//
// calls term(index, c) -> float2 for every element (index = (o * channels + c) * inner + i)
// and then finish(c, sum of .x, sum of .y) once per channel, with the sums in double.
// Each channel is split over several blocks so that a few wide channels (64 channels of
// 256 x 112 x 112) still fill the GPU; the partial sums are added in a fixed order, so
// results do not vary from run to run.
#pragma once

#include <algorithm>
#include <cstdint>

#include "hwgq/util/cuda.hpp"

namespace hwgq::cuda {

constexpr int kReduceThreads = 256;

template <int Threads>
__device__ inline double2 block_sum(double a, double b) {
  __shared__ double shared_a[Threads / 32];
  __shared__ double shared_b[Threads / 32];
  for (int offset = 16; offset > 0; offset >>= 1) {
    a += __shfl_down_sync(0xffffffffu, a, offset);
    b += __shfl_down_sync(0xffffffffu, b, offset);
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    shared_a[warp] = a;
    shared_b[warp] = b;
  }
  __syncthreads();
  a = 0.0;
  b = 0.0;
  if (warp == 0) {
    if (lane < Threads / 32) {
      a = shared_a[lane];
      b = shared_b[lane];
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
      a += __shfl_down_sync(0xffffffffu, a, offset);
      b += __shfl_down_sync(0xffffffffu, b, offset);
    }
  }
  return make_double2(a, b);  // valid in thread 0
}

// Block (p, c) sums slice p of channel c's outer * inner elements into partial[c][p].
template <class Term>
__global__ void __launch_bounds__(kReduceThreads)
    channel_partial_kernel(int channels, int first_channel, int inner, int64_t per_channel, int64_t slice,
                           Term term, double2* partial) {
  const int c = first_channel + blockIdx.y;
  const int64_t begin = int64_t(blockIdx.x) * slice;
  const int64_t end = begin + slice < per_channel ? begin + slice : per_channel;
  double a = 0.0, b = 0.0;
  int64_t j = begin + threadIdx.x;
  if (j < end) {
    // Walk (o, i) incrementally: no division per element.
    int64_t o = j / inner;
    int i = static_cast<int>(j % inner);
    const int64_t step_o = kReduceThreads / inner;
    const int step_i = kReduceThreads % inner;
    for (; j < end; j += kReduceThreads) {
      const float2 t = term((o * channels + c) * inner + i, c);
      a += t.x;
      b += t.y;
      o += step_o;
      i += step_i;
      if (i >= inner) {
        i -= inner;
        ++o;
      }
    }
  }
  const double2 sum = block_sum<kReduceThreads>(a, b);
  if (threadIdx.x == 0) partial[int64_t(c) * gridDim.x + blockIdx.x] = sum;
}

template <class Finish>
__global__ void channel_finish_kernel(int channels, int parts, const double2* partial, Finish finish) {
  HWGQ_KERNEL_LOOP(c, channels) {
    double a = 0.0, b = 0.0;
    for (int p = 0; p < parts; ++p) {
      const double2 v = partial[c * parts + p];
      a += v.x;
      b += v.y;
    }
    finish(static_cast<int>(c), a, b);
  }
}

template <class Term, class Finish>
void channel_reduce(int outer, int channels, int inner, Term term, Finish finish) {
  if (channels <= 0) return;
  const int64_t per_channel = int64_t(outer) * inner;
  // About four blocks per multiprocessor in all, but no block with less than ~8 elements
  // per thread.
  const int64_t wanted = (4 * int64_t(multiprocessor_count()) + channels - 1) / channels;
  const int64_t most = std::max<int64_t>(1, per_channel / (8 * kReduceThreads));
  const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({wanted, most, 65535})));
  const int64_t slice = (per_channel + parts - 1) / parts;
  auto* partial = static_cast<double2*>(workspace(sizeof(double2) * size_t(channels) * parts));
  if (per_channel > 0) {
    // gridDim.y is limited to 65535: very many channels go in several launches.
    for (int first = 0; first < channels; first += 65535) {
      const int count = std::min(65535, channels - first);
      channel_partial_kernel<<<dim3(parts, count), kReduceThreads>>>(channels, first, inner, per_channel,
                                                                     std::max<int64_t>(slice, 1), term, partial);
      HWGQ_KERNEL_CHECK();
    }
  } else {
    HWGQ_CUDA_CHECK(cudaMemsetAsync(partial, 0, sizeof(double2) * size_t(channels) * parts, 0));
  }
  channel_finish_kernel<<<blocks_for(channels), kThreads>>>(channels, parts, partial, finish);
  HWGQ_KERNEL_CHECK();
}

}  // namespace hwgq::cuda
