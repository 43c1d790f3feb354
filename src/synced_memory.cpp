#include "hwgq/synced_memory.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "hwgq/util/device_memory.hpp"

namespace hwgq {

namespace {
// 64-byte alignment keeps SIMD loads aligned for every blob.
constexpr size_t kHostAlignment = 64;

void* host_malloc(size_t bytes) {
  const size_t rounded = (bytes + kHostAlignment - 1) / kHostAlignment * kHostAlignment;
  void* ptr = std::aligned_alloc(kHostAlignment, rounded == 0 ? kHostAlignment : rounded);
  if (!ptr) throw std::bad_alloc();
  return ptr;
}
}  // namespace

SyncedMemory::SyncedMemory(size_t bytes) : size_(bytes) {}

SyncedMemory::~SyncedMemory() {
  std::free(cpu_ptr_);
  if (gpu_ptr_) device_free(gpu_ptr_);
}

void SyncedMemory::to_cpu() {
  switch (head_) {
    case Head::UNINITIALIZED:
      cpu_ptr_ = host_malloc(size_);
      std::memset(cpu_ptr_, 0, size_);
      head_ = Head::AT_CPU;
      break;
    case Head::AT_GPU:
      if (!cpu_ptr_) cpu_ptr_ = host_malloc(size_);
      copy_device_to_host(cpu_ptr_, gpu_ptr_, size_);
      head_ = Head::SYNCED;
      break;
    case Head::AT_CPU:
    case Head::SYNCED:
      break;
  }
}

void SyncedMemory::to_gpu() {
  switch (head_) {
    case Head::UNINITIALIZED:
      gpu_ptr_ = device_malloc(size_);
      device_memset_zero(gpu_ptr_, size_);
      head_ = Head::AT_GPU;
      break;
    case Head::AT_CPU:
      if (!gpu_ptr_) gpu_ptr_ = device_malloc(size_);
      copy_host_to_device(gpu_ptr_, cpu_ptr_, size_);
      head_ = Head::SYNCED;
      break;
    case Head::AT_GPU:
    case Head::SYNCED:
      break;
  }
}

const void* SyncedMemory::cpu_data() {
  to_cpu();
  return cpu_ptr_;
}

void* SyncedMemory::mutable_cpu_data() {
  to_cpu();
  head_ = Head::AT_CPU;
  return cpu_ptr_;
}

const void* SyncedMemory::gpu_data() {
  to_gpu();
  return gpu_ptr_;
}

void* SyncedMemory::mutable_gpu_data() {
  to_gpu();
  head_ = Head::AT_GPU;
  return gpu_ptr_;
}

}  // namespace hwgq
