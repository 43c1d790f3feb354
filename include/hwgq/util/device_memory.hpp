// Host-side entry points to GPU memory. In a build without CUDA every call raises
// hwgq::Error saying so, which is what a user asking for --gpu there should see.
#pragma once

#include <cstddef>
#include <string>

namespace hwgq {

void* device_malloc(size_t bytes);
void device_free(void* ptr);
void copy_host_to_device(void* dst, const void* src, size_t bytes);
void copy_device_to_host(void* dst, const void* src, size_t bytes);
void device_memset_zero(void* ptr, size_t bytes);

// Page-locked host memory for data prefetch: uploads from it run asynchronously and at
// full bus speed. Where no GPU is usable (or CUDA is not built in) it is ordinary aligned
// host memory, so data layers may use it unconditionally. Free only with pinned_free.
void* pinned_malloc(size_t bytes);
void pinned_free(void* ptr);
// Starts a host-to-device copy on the copy stream, which runs beside the compute stream;
// the host buffer must stay untouched until wait_for_uploads returns. With pageable
// memory it still works, but the driver stages it synchronously.
void upload_async(void* device_dst, const void* host_src, size_t bytes);
// Blocks until every upload_async issued so far has landed.
void wait_for_uploads();
// Starts a device-to-device copy on the compute stream (the legacy default stream of the
// calling thread's current device), ordered with the kernels around it.
void copy_device_to_device_async(void* dst, const void* src, size_t bytes);
// Blocks until all GPU work issued so far has finished (timing); no-op without CUDA.
void device_synchronize();

// Number of usable GPUs; 0 in a build without CUDA or on a machine without one.
int device_count();
// Selects the GPU for the calling host thread (CUDA keeps the current device per thread:
// a new thread starts on GPU 0); raises hwgq::Error naming the id when it does not exist.
void select_device(int device);
// The calling thread's current GPU.
int current_device();

// Makes `device` the calling thread's current GPU for the guard's lifetime, then restores
// the previous one (for freeing or waiting on resources another thread made).
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

// A CUDA event behind an opaque handle: a mark in a stream that another host thread can
// wait for, which orders work across the compute and copy streams without waiting for
// either stream as a whole. It belongs to the device current when it was made; every
// member switches to that device itself, so any thread may use it.
class DeviceEvent {
 public:
  // Made on the calling thread's current device, without timing (cheaper to record and wait on).
  DeviceEvent();
  ~DeviceEvent();
  DeviceEvent(const DeviceEvent&) = delete;
  DeviceEvent& operator=(const DeviceEvent&) = delete;

  // Marks the point after all work issued so far on the compute stream (the legacy
  // default stream) of the event's device.
  void record_on_compute_stream();
  // Marks the point after all uploads issued so far on the copy stream of the event's device.
  void record_on_copy_stream();
  // Blocks until the work before the latest mark has finished; returns at once when the
  // event was never recorded.
  void synchronize();
  int device() const { return device_; }

 private:
  void* event_ = nullptr;  // a cudaEvent_t
  int device_ = -1;
};
// Allows (or forbids, the default) TF32 tensor-core math in cuBLAS and cuDNN for float32:
// several times faster on Ampere and Hopper at about 1e-3 relative error per product. A
// build without CUDA accepts only false.
void set_gpu_tf32(bool allowed);

// One paragraph per GPU: name, memory, compute capability (hwgq device_query).
std::string describe_devices();

}  // namespace hwgq
