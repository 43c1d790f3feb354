// A growable float array in host memory for the prefetched batches. Page-locked
// (hwgq::pinned_malloc) when asked, so that a batch uploads to the GPU asynchronously and
// at full bus speed; otherwise ordinary 64-byte aligned memory, which is what CPU runs use
// so that they never pin memory (nor start CUDA) on a machine that has a GPU. Where no GPU
// is usable pinned_malloc itself falls back to aligned memory, so a page-locked array
// works on every machine.
#pragma once

#include <cstddef>

namespace hwgq {

class PinnedArray {
 public:
  explicit PinnedArray(bool page_locked = true) : page_locked_(page_locked) {}
  ~PinnedArray() { release(); }
  PinnedArray(PinnedArray&& other) noexcept;
  PinnedArray& operator=(PinnedArray&& other) noexcept;
  PinnedArray(const PinnedArray&) = delete;
  PinnedArray& operator=(const PinnedArray&) = delete;

  // Sets the size. The first min(old, new) elements keep their values, later ones are
  // uninitialised. Memory is reallocated only when n exceeds the capacity, so a batch
  // buffer refilled with the same size is allocated once.
  void resize(size_t n);
  // Sets the size to n with every element equal to value.
  void assign(size_t n, float value);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  bool page_locked() const { return page_locked_; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  float& operator[](size_t i) { return data_[i]; }
  const float& operator[](size_t i) const { return data_[i]; }
  float* begin() { return data_; }
  float* end() { return data_ + size_; }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + size_; }

 private:
  void release();

  float* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool page_locked_ = true;
};

}  // namespace hwgq
