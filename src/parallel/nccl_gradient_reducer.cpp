#include "nccl_gradient_reducer.hpp"

#ifdef HWGQ_WITH_NCCL

#include <cuda_runtime.h>
#include <glog/logging.h>
#include <nccl.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace hwgq::parallel {

namespace {

void check_cuda(cudaError_t status, const char* what) {
  HWGQ_REQUIRE(status == cudaSuccess, what << ": " << cudaGetErrorString(status));
}

void check_nccl(ncclResult_t status, const char* what) {
  HWGQ_REQUIRE(status == ncclSuccess, what << ": " << ncclGetErrorString(status));
}

}  // namespace

struct NcclGradientReducer::State {
  struct Bucket {
    float* values = nullptr;  // device buffer of `capacity` floats
    int64_t capacity = 0;
    int64_t size = 0;
    std::vector<int> params;
  };

  const MpiWorld* world = nullptr;
  Solver* solver = nullptr;
  int64_t bucket_floats = 0;
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;  // where the reductions run
  cudaEvent_t reached = nullptr;  // recorded on the compute stream before a reduction
  cudaEvent_t reduced = nullptr;  // recorded on the reduction stream after the last one
  std::vector<Bucket> buckets;
  size_t open = 0;

  void reduce(Bucket* bucket) {
    // The compute stream has copied the bucket's gradients once it reaches this event.
    check_cuda(cudaEventRecord(reached, cudaStreamLegacy), "cudaEventRecord");
    check_cuda(cudaStreamWaitEvent(stream, reached, 0), "cudaStreamWaitEvent");
    check_nccl(ncclAllReduce(bucket->values, bucket->values, static_cast<size_t>(bucket->size), ncclFloat, ncclAvg, comm,
                             stream),
               "ncclAllReduce");
  }

  void gradient_ready(int param_id) {
    Blob* param = solver->net().learnable_params()[param_id];
    if (open == buckets.size()) buckets.emplace_back();
    Bucket& bucket = buckets[open];
    const int64_t needed = bucket.size + param->count();
    if (needed > bucket.capacity) {
      // Grows only in the first iteration: the buckets are the same every iteration.
      float* grown = nullptr;
      const int64_t capacity = std::max(needed, bucket_floats);
      check_cuda(cudaMalloc(&grown, capacity * sizeof(float)), "cudaMalloc (gradient bucket)");
      if (bucket.size > 0) {
        check_cuda(cudaMemcpyAsync(grown, bucket.values, bucket.size * sizeof(float), cudaMemcpyDeviceToDevice,
                                   cudaStreamLegacy),
                   "cudaMemcpyAsync");
      }
      check_cuda(cudaStreamSynchronize(cudaStreamLegacy), "cudaStreamSynchronize");
      cudaFree(bucket.values);
      bucket.values = grown;
      bucket.capacity = capacity;
    }
    check_cuda(cudaMemcpyAsync(bucket.values + bucket.size, param->gpu_diff(), param->count() * sizeof(float),
                               cudaMemcpyDeviceToDevice, cudaStreamLegacy),
               "cudaMemcpyAsync (gradient into its bucket)");
    bucket.size = needed;
    bucket.params.push_back(param_id);
    if (bucket.size >= bucket_floats) {
      reduce(&bucket);
      ++open;
    }
  }

  void gradients_ready() {
    if (open < buckets.size() && buckets[open].size > 0) {
      reduce(&buckets[open]);
      ++open;
    }
    check_cuda(cudaEventRecord(reduced, stream), "cudaEventRecord");
    // Bounded wait: NCCL would wait for ever on a rank that died or hangs.
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const cudaError_t status = cudaEventQuery(reduced);
      if (status == cudaSuccess) break;
      HWGQ_REQUIRE(status == cudaErrorNotReady, "the NCCL gradient allreduce failed: " << cudaGetErrorString(status));
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (world->collective_timeout() > 0 && waited > world->collective_timeout()) {
        ncclCommAbort(comm);
        comm = nullptr;
        world->abort("no answer from the other ranks for " + std::to_string(waited) +
                     " s in the NCCL gradient allreduce: a rank has died or hangs; ending the job");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    const auto& params = solver->net().learnable_params();
    for (size_t i = 0; i < open; ++i) {
      Bucket& bucket = buckets[i];
      const float* value = bucket.values;
      for (int id : bucket.params) {
        Blob* param = params[id];
        check_cuda(cudaMemcpyAsync(param->mutable_gpu_diff(), value, param->count() * sizeof(float),
                                   cudaMemcpyDeviceToDevice, cudaStreamLegacy),
                   "cudaMemcpyAsync (averaged gradient back)");
        value += param->count();
      }
      bucket.size = 0;
      bucket.params.clear();
    }
    open = 0;
  }
};

bool NcclGradientReducer::available() { return true; }

NcclGradientReducer::NcclGradientReducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes)
    : state_(std::make_unique<State>()) {
  HWGQ_REQUIRE(bucket_bytes > 0, "the gradient bucket size must be positive, got " << bucket_bytes << " bytes");
  State& s = *state_;
  s.world = &world;
  s.solver = solver;
  s.bucket_floats = std::max<int64_t>(1, bucket_bytes / 4);
  ncclUniqueId id;
  if (world.rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  world.broadcast(&id, sizeof(id), 0, "the broadcast of the NCCL id");
  check_nccl(ncclCommInitRank(&s.comm, world.size(), id, world.rank()), "ncclCommInitRank");
  check_cuda(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  check_cuda(cudaEventCreateWithFlags(&s.reached, cudaEventDisableTiming), "cudaEventCreate");
  check_cuda(cudaEventCreateWithFlags(&s.reduced, cudaEventDisableTiming), "cudaEventCreate");
  solver->add_gradient_ready_callback([&s](int param_id) { s.gradient_ready(param_id); });
  solver->add_gradients_ready_callback([&s] { s.gradients_ready(); });
  LOG(INFO) << "NCCL " << NCCL_MAJOR << "." << NCCL_MINOR << " communicator over " << world.size() << " GPUs";
}

NcclGradientReducer::~NcclGradientReducer() {
  State& s = *state_;
  for (auto& bucket : s.buckets) cudaFree(bucket.values);
  if (s.reached) cudaEventDestroy(s.reached);
  if (s.reduced) cudaEventDestroy(s.reduced);
  if (s.stream) cudaStreamDestroy(s.stream);
  if (s.comm) ncclCommDestroy(s.comm);
}

}  // namespace hwgq::parallel

#else  // a build without NCCL

namespace hwgq::parallel {

struct NcclGradientReducer::State {};

bool NcclGradientReducer::available() { return false; }

NcclGradientReducer::NcclGradientReducer(const MpiWorld&, Solver*, int64_t) {
  HWGQ_FAIL("this hwgq was built without NCCL: GPU gradients are averaged over MPI instead");
}

NcclGradientReducer::~NcclGradientReducer() = default;

}  // namespace hwgq::parallel

#endif
