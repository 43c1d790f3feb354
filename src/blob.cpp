#include "hwgq/blob.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "hwgq/common.hpp"
#include "hwgq/proto/hwgq.pb.h"

#ifdef HWGQ_WITH_CUDA
#include "hwgq/math/gpu_blas.hpp"
#endif

namespace hwgq {

#ifdef HWGQ_WITH_CUDA
namespace {
// Whether to fill or scale a buffer on the GPU: where its newest copy is there, or where
// both sides agree (or nothing is written yet) and the run is on the GPU. A GPU run then
// never bounces parameters and gradients through the host.
bool work_on_gpu(const SyncedMemory& memory) {
  const SyncedMemory::Head head = memory.head();
  if (head == SyncedMemory::Head::AT_GPU) return true;
  return head != SyncedMemory::Head::AT_CPU && Context::get().mode() == Mode::GPU;
}
}  // namespace
#endif

Blob::Blob(const std::vector<int>& shape) { reshape(shape); }

void Blob::reshape(const std::vector<int>& shape) {
  int64_t count = 1;
  for (int dim : shape) {
    HWGQ_REQUIRE(dim >= 0, "blob dimension must not be negative, got shape " << hwgq::shape_string(shape));
    count *= dim;
    HWGQ_REQUIRE(count <= INT_MAX, "blob of shape " << hwgq::shape_string(shape) << " is too large");
  }
  shape_ = shape;
  count_ = static_cast<int>(count);
  if (count_ > capacity_ || !data_) {
    capacity_ = count_;
    data_ = std::make_shared<SyncedMemory>(sizeof(float) * capacity_);
    diff_ = std::make_shared<SyncedMemory>(sizeof(float) * capacity_);
  }
}

int Blob::count(int start, int end) const {
  int result = 1;
  for (int i = start; i < end; ++i) result *= shape_[i];
  return result;
}

int Blob::canonical_axis(int axis) const {
  const int n = num_axes();
  HWGQ_REQUIRE(axis >= -n && axis < n, "axis " << axis << " is out of range for a blob of shape " << shape_string());
  return axis < 0 ? axis + n : axis;
}

std::string Blob::shape_string() const { return hwgq::shape_string(shape_); }

int Blob::legacy_shape(int index) const {
  if (index >= num_axes()) return 1;
  return shape_[index];
}

const float* Blob::cpu_data() const { return static_cast<const float*>(data_->cpu_data()); }
float* Blob::mutable_cpu_data() { return static_cast<float*>(data_->mutable_cpu_data()); }
const float* Blob::cpu_diff() const { return static_cast<const float*>(diff_->cpu_data()); }
float* Blob::mutable_cpu_diff() { return static_cast<float*>(diff_->mutable_cpu_data()); }
const float* Blob::gpu_data() const { return static_cast<const float*>(data_->gpu_data()); }
float* Blob::mutable_gpu_data() { return static_cast<float*>(data_->mutable_gpu_data()); }
const float* Blob::gpu_diff() const { return static_cast<const float*>(diff_->gpu_data()); }
float* Blob::mutable_gpu_diff() { return static_cast<float*>(diff_->mutable_gpu_data()); }

void Blob::share_data(const Blob& other) {
  HWGQ_REQUIRE(count_ == other.count_, "cannot share data between blobs of shapes " << shape_string() << " and "
                                                                                    << other.shape_string());
  data_ = other.data_;
}

void Blob::share_diff(const Blob& other) {
  HWGQ_REQUIRE(count_ == other.count_, "cannot share diff between blobs of shapes " << shape_string() << " and "
                                                                                    << other.shape_string());
  diff_ = other.diff_;
}

std::vector<int> proto_shape(const BlobProto& proto) {
  std::vector<int> shape;
  if (proto.has_shape()) {
    for (int i = 0; i < proto.shape().dim_size(); ++i) shape.push_back(static_cast<int>(proto.shape().dim(i)));
  } else if (proto.has_num() || proto.has_channels() || proto.has_height() || proto.has_width()) {
    shape = {proto.num(), proto.channels(), proto.height(), proto.width()};
  } else {
    // A BlobProto with neither form holds a flat vector.
    const int n = proto.data_size() > 0 ? proto.data_size() : proto.double_data_size();
    shape = {n};
  }
  return shape;
}

bool Blob::shape_equals(const BlobProto& proto) const {
  std::vector<int> stored = proto_shape(proto);
  if (!proto.has_shape() && stored.size() == 4 && num_axes() <= 4) {
    // Legacy 4-d shapes are right-aligned: a 2-d blob (N, K) is stored as (1, 1, N, K).
    std::vector<int> padded(4 - num_axes(), 1);
    padded.insert(padded.end(), shape_.begin(), shape_.end());
    return padded == stored;
  }
  return stored == shape_;
}

void Blob::from_proto(const BlobProto& proto, bool reshape_to_proto) {
  if (reshape_to_proto) {
    reshape(proto_shape(proto));
  } else {
    HWGQ_REQUIRE(shape_equals(proto), "stored blob has shape " << hwgq::shape_string(proto_shape(proto))
                                                               << " but " << shape_string() << " is expected");
  }
  float* data = mutable_cpu_data();
  if (proto.double_data_size() > 0) {
    HWGQ_REQUIRE(proto.double_data_size() == count_, "stored blob holds " << proto.double_data_size()
                                                                          << " values for shape " << shape_string());
    for (int i = 0; i < count_; ++i) data[i] = static_cast<float>(proto.double_data(i));
  } else {
    HWGQ_REQUIRE(proto.data_size() == count_, "stored blob holds " << proto.data_size() << " values for shape "
                                                                   << shape_string());
    std::copy(proto.data().begin(), proto.data().end(), data);
  }
  if (proto.diff_size() == count_ && count_ > 0) {
    std::copy(proto.diff().begin(), proto.diff().end(), mutable_cpu_diff());
  } else if (proto.double_diff_size() == count_ && count_ > 0) {
    float* diff = mutable_cpu_diff();
    for (int i = 0; i < count_; ++i) diff[i] = static_cast<float>(proto.double_diff(i));
  }
}

void Blob::to_proto(BlobProto* proto, bool write_diff) const {
  proto->Clear();
  for (int dim : shape_) proto->mutable_shape()->add_dim(dim);
  const float* data = cpu_data();
  proto->mutable_data()->Reserve(count_);
  proto->mutable_data()->Add(data, data + count_);
  if (write_diff) {
    const float* diff = cpu_diff();
    proto->mutable_diff()->Add(diff, diff + count_);
  }
}

double Blob::asum_data() const {
  const float* x = cpu_data();
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += std::fabs(x[i]);
  return sum;
}

double Blob::asum_diff() const {
  const float* x = cpu_diff();
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += std::fabs(x[i]);
  return sum;
}

double Blob::sumsq_data() const {
  const float* x = cpu_data();
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += double(x[i]) * x[i];
  return sum;
}

double Blob::sumsq_diff() const {
  const float* x = cpu_diff();
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += double(x[i]) * x[i];
  return sum;
}

void Blob::scale_diff(float factor) {
#ifdef HWGQ_WITH_CUDA
  if (work_on_gpu(*diff_)) return gpu_scal(count_, factor, mutable_gpu_diff());
#endif
  float* x = mutable_cpu_diff();
  for (int i = 0; i < count_; ++i) x[i] *= factor;
}

void Blob::set_data(float value) {
#ifdef HWGQ_WITH_CUDA
  if (work_on_gpu(*data_)) return gpu_set(count_, value, mutable_gpu_data());
#endif
  float* x = mutable_cpu_data();
  std::fill(x, x + count_, value);
}

void Blob::set_diff(float value) {
#ifdef HWGQ_WITH_CUDA
  if (work_on_gpu(*diff_)) return gpu_set(count_, value, mutable_gpu_diff());
#endif
  float* x = mutable_cpu_diff();
  std::fill(x, x + count_, value);
}

}  // namespace hwgq
