#include "hwgq/util/device_memory.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <sstream>
#include <unordered_set>

#include "hwgq/common.hpp"

#ifdef HWGQ_WITH_CUDA
#include <cuda_runtime.h>

#include "hwgq/util/cuda.hpp"
#endif

namespace hwgq {

#ifdef HWGQ_WITH_CUDA

namespace {
void check_cuda(cudaError_t status, const char* what) {
  HWGQ_REQUIRE(status == cudaSuccess, "CUDA " << what << " failed: " << cudaGetErrorString(status));
}
}  // namespace

void* device_malloc(size_t bytes) {
  void* ptr = nullptr;
  check_cuda(cudaMalloc(&ptr, bytes == 0 ? 1 : bytes), "cudaMalloc");
  return ptr;
}

void device_free(void* ptr) { cudaFree(ptr); }

void copy_host_to_device(void* dst, const void* src, size_t bytes) {
  check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copy to device");
}

void copy_device_to_host(void* dst, const void* src, size_t bytes) {
  check_cuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copy to host");
}

void device_memset_zero(void* ptr, size_t bytes) { check_cuda(cudaMemset(ptr, 0, bytes), "cudaMemset"); }

namespace {
// Which pinned_malloc results are page-locked (the rest came from the fallback).
std::mutex g_pinned_mutex;
std::unordered_set<void*> g_pinned;
}  // namespace

void* pinned_malloc(size_t bytes) {
  void* ptr = nullptr;
  if (device_count() > 0 && cudaMallocHost(&ptr, bytes == 0 ? 1 : bytes) == cudaSuccess) {
    std::lock_guard<std::mutex> lock(g_pinned_mutex);
    g_pinned.insert(ptr);
    return ptr;
  }
  cudaGetLastError();
  ptr = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + (bytes == 0 ? 64 : 0));
  if (!ptr) throw std::bad_alloc();
  return ptr;
}

void pinned_free(void* ptr) {
  if (!ptr) return;
  {
    std::lock_guard<std::mutex> lock(g_pinned_mutex);
    auto it = g_pinned.find(ptr);
    if (it != g_pinned.end()) {
      g_pinned.erase(it);
      cudaFreeHost(ptr);
      return;
    }
  }
  std::free(ptr);
}

void upload_async(void* device_dst, const void* host_src, size_t bytes) {
  check_cuda(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, cuda::copy_stream()),
             "upload on the copy stream");
}

void wait_for_uploads() { check_cuda(cudaStreamSynchronize(cuda::copy_stream()), "waiting for uploads"); }

void copy_device_to_device_async(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  // cudaStreamLegacy rather than 0: the legacy stream even in a translation unit built
  // with per-thread default streams, so events recorded on it cover this copy.
  HWGQ_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, cudaStreamLegacy));
}

void device_synchronize() { check_cuda(cudaDeviceSynchronize(), "waiting for the GPU"); }

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" status
    return 0;
  }
  return count;
}

void select_device(int device) {
  const int count = device_count();
  HWGQ_REQUIRE(count > 0, "--gpu=" << device << " asked for a GPU, but no CUDA device is present");
  HWGQ_REQUIRE(device >= 0 && device < count,
               "--gpu=" << device << " does not exist: this machine has " << count << " GPU(s), ids 0-"
                        << count - 1);
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
}

int current_device() {
  int device = 0;
  HWGQ_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

DeviceGuard::DeviceGuard(int device) {
  int current = 0;
  HWGQ_CUDA_CHECK(cudaGetDevice(&current));
  if (current == device) return;
  HWGQ_CUDA_CHECK(cudaSetDevice(device));
  previous_ = current;
}

DeviceGuard::~DeviceGuard() {
  // A destructor must not throw; a failed switch back clears its error status so that it
  // is not blamed on the next unrelated call.
  if (previous_ >= 0 && cudaSetDevice(previous_) != cudaSuccess) cudaGetLastError();
}

DeviceEvent::DeviceEvent() {
  HWGQ_CUDA_CHECK(cudaGetDevice(&device_));
  cudaEvent_t event = nullptr;
  HWGQ_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  event_ = event;
}

DeviceEvent::~DeviceEvent() {
  if (!event_) return;
  int current = -1;
  if (cudaGetDevice(&current) != cudaSuccess) cudaGetLastError();
  const bool switched = current != device_ && cudaSetDevice(device_) == cudaSuccess;
  if (cudaEventDestroy(static_cast<cudaEvent_t>(event_)) != cudaSuccess) cudaGetLastError();
  if (switched && cudaSetDevice(current) != cudaSuccess) cudaGetLastError();
}

void DeviceEvent::record_on_compute_stream() {
  DeviceGuard guard(device_);
  HWGQ_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event_), cudaStreamLegacy));
}

void DeviceEvent::record_on_copy_stream() {
  DeviceGuard guard(device_);
  HWGQ_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event_), cuda::copy_stream()));
}

void DeviceEvent::synchronize() {
  // cudaEventSynchronize would accept an event of another device, but the guard keeps the
  // one rule for every member: an event is used on its own device.
  DeviceGuard guard(device_);
  HWGQ_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event_)));
}

std::string describe_devices() {
  std::ostringstream out;
  const int count = device_count();
  if (count == 0) return "no CUDA device found\n";
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    check_cuda(cudaGetDeviceProperties(&prop, i), "cudaGetDeviceProperties");
    out << "GPU " << i << ": " << prop.name << "\n"
        << "  compute capability: " << prop.major << "." << prop.minor << "\n"
        << "  global memory: " << (prop.totalGlobalMem >> 20) << " MiB\n"
        << "  multiprocessors: " << prop.multiProcessorCount << "\n";
  }
  return out.str();
}

#else

namespace {
[[noreturn]] void no_cuda() {
  HWGQ_FAIL("this hwgq was built without CUDA (configure with -DHWGQ_USE_CUDA=ON on a machine with nvcc)");
}
}  // namespace

void* device_malloc(size_t) { no_cuda(); }
void device_free(void*) {}
void copy_host_to_device(void*, const void*, size_t) { no_cuda(); }
void copy_device_to_host(void*, const void*, size_t) { no_cuda(); }
void device_memset_zero(void*, size_t) { no_cuda(); }
void* pinned_malloc(size_t bytes) {
  void* ptr = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + (bytes == 0 ? 64 : 0));
  if (!ptr) throw std::bad_alloc();
  return ptr;
}
void pinned_free(void* ptr) { std::free(ptr); }
void upload_async(void*, const void*, size_t) { no_cuda(); }
void wait_for_uploads() {}
void copy_device_to_device_async(void*, const void*, size_t) { no_cuda(); }
void device_synchronize() {}
int device_count() { return 0; }
void select_device(int device) {
  HWGQ_FAIL("--gpu=" << device << " asked for a GPU, but this hwgq was built without CUDA");
}
int current_device() { no_cuda(); }
DeviceGuard::DeviceGuard(int) { no_cuda(); }
DeviceGuard::~DeviceGuard() {}
DeviceEvent::DeviceEvent() { no_cuda(); }
DeviceEvent::~DeviceEvent() {}
void DeviceEvent::record_on_compute_stream() { no_cuda(); }
void DeviceEvent::record_on_copy_stream() { no_cuda(); }
void DeviceEvent::synchronize() { no_cuda(); }
std::string describe_devices() { return "this hwgq was built without CUDA\n"; }
void set_gpu_tf32(bool allowed) {
  if (allowed) no_cuda();
}

#endif

}  // namespace hwgq
