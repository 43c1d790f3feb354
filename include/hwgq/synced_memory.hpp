// A byte buffer that lives on the host, the GPU, or both, copied lazily to wherever it
// is read next. Blob data and diff each own one.
#pragma once

#include <cstddef>

namespace hwgq {

class SyncedMemory {
 public:
  enum class Head { UNINITIALIZED, AT_CPU, AT_GPU, SYNCED };

  explicit SyncedMemory(size_t bytes = 0);
  ~SyncedMemory();
  SyncedMemory(const SyncedMemory&) = delete;
  SyncedMemory& operator=(const SyncedMemory&) = delete;

  // The const accessors copy the newest contents over when the other side is ahead; the
  // mutable ones also mark their side as the only valid copy.
  const void* cpu_data();
  void* mutable_cpu_data();
  const void* gpu_data();
  void* mutable_gpu_data();

  size_t size() const { return size_; }
  Head head() const { return head_; }

 private:
  void to_cpu();
  void to_gpu();

  void* cpu_ptr_ = nullptr;
  void* gpu_ptr_ = nullptr;
  size_t size_ = 0;
  Head head_ = Head::UNINITIALIZED;
};

}  // namespace hwgq
