#include "mpi_gradient_reducer.hpp"

#include <glog/logging.h>

#include <chrono>
#include <limits>

namespace hwgq::parallel {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

MpiGradientReducer::MpiGradientReducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes, bool overlap,
                                       std::vector<bool> averaged_elsewhere)
    : world_(world),
      solver_(solver),
      bucket_floats_(std::max<int64_t>(1, bucket_bytes / 4)),
      overlap_(overlap),
      averaged_elsewhere_(std::move(averaged_elsewhere)) {
  averaged_elsewhere_.resize(solver_->net().learnable_params().size(), false);
  HWGQ_REQUIRE(bucket_bytes > 0, "the gradient bucket size must be positive, got " << bucket_bytes << " bytes");
  solver_->add_gradient_ready_callback([this](int param_id) { on_gradient_ready(param_id); });
  solver_->add_gradients_ready_callback([this] { on_gradients_ready(); });
}

void MpiGradientReducer::start(Bucket* bucket) {
  float* values = bucket->in_place ? bucket->in_place : bucket->values.data();
  const int64_t count = bucket->in_place ? bucket->in_place_count : static_cast<int64_t>(bucket->values.size());
  CHECK_LE(count, static_cast<int64_t>(std::numeric_limits<int>::max()));
  MPI_Iallreduce(MPI_IN_PLACE, values, static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                 &bucket->request);
  bucket->in_flight = true;
}

void MpiGradientReducer::progress() {
  for (size_t i = 0; i < open_; ++i) {
    Bucket& bucket = buckets_[i];
    if (bucket.in_flight && bucket.request != MPI_REQUEST_NULL) MpiWorld::test(&bucket.request);
  }
}

void MpiGradientReducer::on_gradient_ready(int param_id) {
  if (averaged_elsewhere_[param_id]) return;
  if (first_start_ < 0) first_start_ = now_seconds();
  const Blob& param = *solver_->net().learnable_params()[param_id];
  if (open_ == buckets_.size()) buckets_.emplace_back();
  Bucket* bucket = &buckets_[open_];
  if (param.count() >= bucket_floats_) {
    // A bucket of its own: close the one being filled (if any) and reduce in place.
    if (!bucket->params.empty()) {
      if (overlap_) start(bucket);
      if (++open_ == buckets_.size()) buckets_.emplace_back();
      bucket = &buckets_[open_];
    }
    bucket->in_place = solver_->net().learnable_params()[param_id]->mutable_cpu_diff();
    bucket->in_place_count = param.count();
    bucket->params.push_back(param_id);
    if (overlap_) start(bucket);
    ++open_;
    if (overlap_) progress();
    return;
  }
  const float* diff = param.cpu_diff();
  bucket->values.insert(bucket->values.end(), diff, diff + param.count());
  bucket->params.push_back(param_id);
  if (static_cast<int64_t>(bucket->values.size()) >= bucket_floats_) {
    if (overlap_) start(bucket);
    ++open_;
  }
  if (overlap_) progress();
}

void MpiGradientReducer::on_gradients_ready() {
  const double backward_end = now_seconds();
  if (open_ < buckets_.size() && !buckets_[open_].params.empty()) ++open_;
  int64_t floats = 0;
  for (size_t i = 0; i < open_; ++i) {
    if (!buckets_[i].in_flight) start(&buckets_[i]);
    floats += buckets_[i].in_place ? buckets_[i].in_place_count : static_cast<int64_t>(buckets_[i].values.size());
  }
  for (size_t i = 0; i < open_; ++i) world_.wait(&buckets_[i].request, "the gradient allreduce");
  const double done = now_seconds();

  const float scale = 1.f / static_cast<float>(world_.size());
  const auto& params = solver_->net().learnable_params();
  for (size_t i = 0; i < open_; ++i) {
    Bucket& bucket = buckets_[i];
    if (bucket.in_place) {
      for (int64_t k = 0; k < bucket.in_place_count; ++k) bucket.in_place[k] *= scale;
    } else {
      const float* value = bucket.values.data();
      for (int id : bucket.params) {
        Blob* param = params[id];
        float* diff = param->mutable_cpu_diff();
        for (int k = 0; k < param->count(); ++k) diff[k] = value[k] * scale;
        value += param->count();
      }
    }
    bucket.values.clear();
    bucket.params.clear();
    bucket.in_place = nullptr;
    bucket.in_place_count = 0;
    bucket.in_flight = false;
  }
  stats_.record(floats, static_cast<int>(open_), first_start_, backward_end, done);
  open_ = 0;
  first_start_ = -1;
}

void broadcast_net(const MpiWorld& world, Net* net, int root) {
  for (const auto& layer : net->layers()) {
    for (const auto& blob : layer->blobs()) {
      world.broadcast(blob->mutable_cpu_data(), static_cast<int64_t>(blob->count()) * sizeof(float), root,
                      "the broadcast of the weights");
    }
  }
}

void broadcast_history(const MpiWorld& world, Solver* solver, int root) {
  for (const auto& blob : solver->history()) {
    world.broadcast(blob->mutable_cpu_data(), static_cast<int64_t>(blob->count()) * sizeof(float), root,
                    "the broadcast of the solver history");
  }
}

}  // namespace hwgq::parallel
