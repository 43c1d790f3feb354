// The CUDA side of the backend: error checks that raise hwgq::Error, launch geometry for
// elementwise kernels, and the per-device context (cuBLAS handle, scratch workspace, copy
// stream). Internal to the CUDA backend (cuda/include, on the include path of hwgq_core in
// a CUDA build only): cuda/ and #ifdef'd parts of src/ include it; the public interface to
// the GPU is hwgq/util/device_memory.hpp, which carries no CUDA types.
#pragma once

#ifndef HWGQ_WITH_CUDA
#error "hwgq/util/cuda.hpp is part of the CUDA backend; build with HWGQ_USE_CUDA=ON"
#endif

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace hwgq::cuda {

// Raise hwgq::Error naming the failed call, its source position and the library's own
// message. A failure here is rarely the user's fault, but an exception lets the CLI print
// one line and exit instead of aborting with a core dump.
void check(cudaError_t status, const char* call, const char* file, int line);
void check(cublasStatus_t status, const char* call, const char* file, int line);

}  // namespace hwgq::cuda

#define HWGQ_CUDA_CHECK(call) ::hwgq::cuda::check((call), #call, __FILE__, __LINE__)
#define HWGQ_CUBLAS_CHECK(call) ::hwgq::cuda::check((call), #call, __FILE__, __LINE__)
// After a kernel launch: reports a bad launch configuration at once (errors inside the
// kernel surface at the next synchronising call).
#define HWGQ_KERNEL_CHECK() ::hwgq::cuda::check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

// A grid-stride loop over [0, n): any grid size covers any n, so launches can cap their
// block count. The index is 64-bit so that i + stride cannot overflow near INT_MAX.
#define HWGQ_KERNEL_LOOP(i, n)                                                        \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < int64_t(n); \
       i += int64_t(blockDim.x) * gridDim.x)

namespace hwgq::cuda {

constexpr int kThreads = 256;
// Enough blocks to fill any current GPU many times over; beyond it the loop strides.
constexpr int64_t kMaxBlocks = 65535;

inline unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks)));
}

// All compute runs on the legacy default stream, in issue order, so the synchronous copies
// of SyncedMemory and every library call stay ordered without events. The copy stream is
// non-blocking: data prefetch uploads there and waits on it explicitly
// (hwgq::wait_for_uploads).
cublasHandle_t cublas_handle();
cudaStream_t copy_stream();

// One scratch buffer per device, shared by every layer (layers run one at a time on one
// stream, so no two users overlap). Grows on demand and never shrinks; the pointer is
// valid until the next call that asks for more.
void* workspace(size_t bytes);

// A device vector of at least n ones (for bias sums and broadcasts through cuBLAS), per
// device, grown on demand; valid until the next call asks for more.
const float* ones(int n);

// The multiprocessor count of the current device (cached), for sizing reductions.
int multiprocessor_count();

// Whether cuBLAS and cuDNN may use TF32 tensor cores for float32 work (10-bit mantissa).
// Off by default: the GPU then computes in full float32 like the CPU.
bool tf32_allowed();

}  // namespace hwgq::cuda
