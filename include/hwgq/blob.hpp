// Blob: an N-d float32 tensor holding values (data) and gradients (diff), each kept on
// the host and/or the GPU and synced lazily.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hwgq/synced_memory.hpp"

namespace hwgq {

class BlobProto;

class Blob {
 public:
  Blob() = default;
  explicit Blob(const std::vector<int>& shape);

  // Changes the shape; memory is reallocated only when the new count exceeds what is held,
  // so nets whose batch size shrinks and grows again do not churn the allocator.
  void reshape(const std::vector<int>& shape);
  void reshape_like(const Blob& other) { reshape(other.shape()); }

  const std::vector<int>& shape() const { return shape_; }
  // Axis may be negative, counting from the end (-1 = last axis).
  int shape(int axis) const { return shape_[canonical_axis(axis)]; }
  int num_axes() const { return static_cast<int>(shape_.size()); }
  int count() const { return count_; }
  // Product of the dimensions in [start, end).
  int count(int start, int end) const;
  int count(int start) const { return count(start, num_axes()); }
  // Maps a possibly negative axis into [0, num_axes()); raises hwgq::Error if out of range.
  int canonical_axis(int axis) const;
  std::string shape_string() const;

  // Legacy 4-d accessors (N, C, H, W); missing trailing axes count as 1.
  int num() const { return legacy_shape(0); }
  int channels() const { return legacy_shape(1); }
  int height() const { return legacy_shape(2); }
  int width() const { return legacy_shape(3); }
  int offset(int n, int c = 0, int h = 0, int w = 0) const {
    return ((n * channels() + c) * height() + h) * width() + w;
  }

  const float* cpu_data() const;
  float* mutable_cpu_data();
  const float* cpu_diff() const;
  float* mutable_cpu_diff();
  const float* gpu_data() const;
  float* mutable_gpu_data();
  const float* gpu_diff() const;
  float* mutable_gpu_diff();

  // The buffers themselves, for holders that must keep them alive beyond a reshape that
  // reallocates (the Python module's NumPy views).
  const std::shared_ptr<SyncedMemory>& data_memory() const { return data_; }
  const std::shared_ptr<SyncedMemory>& diff_memory() const { return diff_; }

  // Makes this blob use another blob's buffer (same count required): in-place views,
  // parameter sharing.
  void share_data(const Blob& other);
  void share_diff(const Blob& other);

  // Reads shape and data (and diff when present). With reshape=false the stored shape must
  // match this blob's shape, or hwgq::Error names both.
  void from_proto(const BlobProto& proto, bool reshape = true);
  void to_proto(BlobProto* proto, bool write_diff = false) const;
  // Whether a stored blob has this shape (the legacy 4-d form compares as N x C x H x W).
  bool shape_equals(const BlobProto& proto) const;

  // Sums used by the solver and tests; computed on the host.
  double asum_data() const;
  double asum_diff() const;
  double sumsq_data() const;
  double sumsq_diff() const;
  void scale_diff(float factor);
  void set_data(float value);
  void set_diff(float value);

 private:
  int legacy_shape(int index) const;

  std::vector<int> shape_;
  int count_ = 0;
  int capacity_ = 0;
  std::shared_ptr<SyncedMemory> data_;
  std::shared_ptr<SyncedMemory> diff_;
};

// The shape stored in a BlobProto (its shape field, or the legacy num/channels/height/width).
std::vector<int> proto_shape(const BlobProto& proto);

}  // namespace hwgq
