#include "hwgq/data/pinned_array.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "hwgq/util/device_memory.hpp"

namespace hwgq {

namespace {

constexpr size_t kAlignment = 64;

float* allocate(size_t n, bool page_locked) {
  const size_t bytes = n * sizeof(float);
  if (page_locked) return static_cast<float*>(pinned_malloc(bytes));
  const size_t rounded = std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
  void* ptr = std::aligned_alloc(kAlignment, rounded);
  if (!ptr) throw std::bad_alloc();
  return static_cast<float*>(ptr);
}

void deallocate(float* ptr, bool page_locked) {
  if (page_locked) {
    pinned_free(ptr);
  } else {
    std::free(ptr);
  }
}

}  // namespace

PinnedArray::PinnedArray(PinnedArray&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      page_locked_(other.page_locked_) {}

PinnedArray& PinnedArray::operator=(PinnedArray&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    page_locked_ = other.page_locked_;
  }
  return *this;
}

void PinnedArray::release() {
  if (data_) deallocate(data_, page_locked_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

void PinnedArray::resize(size_t n) {
  if (n > capacity_) {
    float* grown = allocate(n, page_locked_);
    if (size_ > 0) std::memcpy(grown, data_, size_ * sizeof(float));
    const size_t kept = size_;
    release();
    data_ = grown;
    size_ = kept;
    capacity_ = n;
  }
  size_ = n;
}

void PinnedArray::assign(size_t n, float value) {
  resize(n);
  std::fill(data_, data_ + n, value);
}

}  // namespace hwgq
