// Per-device CUDA state, created on first use on each device and kept for the life of the
// process. The handles are deliberately never destroyed: at exit the CUDA runtime may
// already be torn down when static destructors run, and destroying a handle then crashes.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include "hwgq/common.hpp"
#include "hwgq/math/gpu_blas.hpp"
#include "hwgq/util/device_memory.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq::cuda {

void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  HWGQ_FAIL("CUDA error in " << call << " (" << file << ":" << line << "): " << cudaGetErrorName(status) << ": "
                             << cudaGetErrorString(status));
}

void check(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  HWGQ_FAIL("cuBLAS error in " << call << " (" << file << ":" << line << "): " << cublasGetStatusName(status)
                               << ": " << cublasGetStatusString(status));
}

namespace {

struct DeviceState {
  cublasHandle_t cublas = nullptr;
  bool cublas_tf32 = false;
  cudaStream_t copy = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  float* ones = nullptr;
  int ones_count = 0;
  int multiprocessors = 0;
};

std::atomic<bool> g_tf32{false};

// Indexed by device id; the mutex covers creation (a data-prefetch thread may ask for the
// copy stream while the main thread computes).
std::mutex g_mutex;
std::vector<DeviceState> g_devices;

DeviceState& state() {
  int device = 0;
  HWGQ_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_devices.empty()) {
    int count = 0;
    HWGQ_CUDA_CHECK(cudaGetDeviceCount(&count));
    g_devices.resize(count);
  }
  HWGQ_REQUIRE(device >= 0 && device < (int)g_devices.size(), "CUDA device " << device << " is not present");
  return g_devices[device];
}

}  // namespace

cublasHandle_t cublas_handle() {
  DeviceState& s = state();
  if (!s.cublas) {
    HWGQ_CUBLAS_CHECK(cublasCreate(&s.cublas));
    s.cublas_tf32 = false;
  }
  const bool want = g_tf32.load();
  if (want != s.cublas_tf32) {
    HWGQ_CUBLAS_CHECK(cublasSetMathMode(s.cublas, want ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    s.cublas_tf32 = want;
  }
  return s.cublas;
}

cudaStream_t copy_stream() {
  DeviceState& s = state();
  std::lock_guard<std::mutex> lock(g_mutex);
  if (!s.copy) HWGQ_CUDA_CHECK(cudaStreamCreateWithFlags(&s.copy, cudaStreamNonBlocking));
  return s.copy;
}

void* workspace(size_t bytes) {
  DeviceState& s = state();
  if (bytes > s.workspace_bytes) {
    // cudaFree waits for the device, so no kernel still reads the old buffer.
    if (s.workspace) HWGQ_CUDA_CHECK(cudaFree(s.workspace));
    s.workspace = nullptr;
    s.workspace_bytes = 0;
    HWGQ_CUDA_CHECK(cudaMalloc(&s.workspace, bytes));
    s.workspace_bytes = bytes;
  }
  return s.workspace;
}

const float* ones(int n) {
  DeviceState& s = state();
  if (n > s.ones_count) {
    if (s.ones) HWGQ_CUDA_CHECK(cudaFree(s.ones));
    s.ones = nullptr;
    s.ones_count = 0;
    // Round up so that a net's growing batch sizes do not reallocate each time.
    const int count = std::max(n, 1024);
    HWGQ_CUDA_CHECK(cudaMalloc(&s.ones, sizeof(float) * size_t(count)));
    gpu_set(count, 1.f, s.ones);
    s.ones_count = count;
  }
  return s.ones;
}

int multiprocessor_count() {
  DeviceState& s = state();
  if (s.multiprocessors == 0) {
    int device = 0;
    HWGQ_CUDA_CHECK(cudaGetDevice(&device));
    HWGQ_CUDA_CHECK(cudaDeviceGetAttribute(&s.multiprocessors, cudaDevAttrMultiProcessorCount, device));
  }
  return s.multiprocessors;
}

bool tf32_allowed() { return g_tf32.load(); }

}  // namespace hwgq::cuda

namespace hwgq {

void set_gpu_tf32(bool allowed) { cuda::g_tf32.store(allowed); }

}  // namespace hwgq
