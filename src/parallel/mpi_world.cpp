#include "mpi_world.hpp"

#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <thread>

#include "hwgq/common.hpp"

namespace hwgq::parallel {

namespace {

// MPI counts are ints: larger buffers go in pieces of this many elements.
constexpr int64_t kMaxCount = std::numeric_limits<int>::max() / 2;

}  // namespace

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

MpiWorld::MpiWorld(double collective_timeout_s) : timeout_s_(collective_timeout_s) {
  HWGQ_REQUIRE(collective_timeout_s >= 0, "--collective_timeout must not be negative, got " << collective_timeout_s);
  int provided = 0;
  // Only the thread that runs the nets calls MPI.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiWorld::~MpiWorld() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

bool MpiWorld::test(MPI_Request* request) {
  int done = 0;
  MPI_Test(request, &done, MPI_STATUS_IGNORE);
  return done != 0;
}

void MpiWorld::wait(MPI_Request* request, const char* what) const {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  // Spin first (a reduction that is nearly done should not pay a sleep), then poll with
  // short sleeps so that a long wait leaves the core to the other threads.
  for (int spins = 0; spins < 2000; ++spins) {
    if (test(request)) return;
  }
  auto nap = std::chrono::microseconds(20);
  while (!test(request)) {
    const double waited = std::chrono::duration<double>(Clock::now() - start).count();
    if (timeout_s_ > 0 && waited > timeout_s_) {
      std::ostringstream message;
      message << "no answer from the other ranks for " << waited << " s in " << what
              << " (--collective_timeout=" << timeout_s_ << "): a rank has died or hangs; ending the job";
      abort(message.str());
    }
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(1000));
  }
}

void MpiWorld::broadcast(void* data, int64_t bytes, int root, const char* what) const {
  char* at = static_cast<char*>(data);
  for (int64_t done = 0; done < bytes;) {
    const int piece = static_cast<int>(std::min(bytes - done, kMaxCount));
    MPI_Request request;
    MPI_Ibcast(at + done, piece, MPI_BYTE, root, MPI_COMM_WORLD, &request);
    wait(&request, what);
    done += piece;
  }
}

void MpiWorld::broadcast(std::string* bytes, int root, const char* what) const {
  int64_t size = static_cast<int64_t>(bytes->size());
  broadcast(&size, sizeof(size), root, what);
  bytes->resize(static_cast<size_t>(size));
  broadcast(bytes->data(), size, root, what);
}

void MpiWorld::allreduce_sum(double* values, int count, const char* what) const {
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request);
  wait(&request, what);
}

void MpiWorld::allreduce_sum(float* values, int64_t count, const char* what) const {
  for (int64_t done = 0; done < count;) {
    const int piece = static_cast<int>(std::min(count - done, kMaxCount));
    MPI_Request request;
    MPI_Iallreduce(MPI_IN_PLACE, values + done, piece, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request);
    wait(&request, what);
    done += piece;
  }
}

bool MpiWorld::any(bool flag, const char* what) const {
  int value = flag ? 1 : 0;
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &request);
  wait(&request, what);
  return value != 0;
}

void MpiWorld::abort(const std::string& message) const {
  // One write, so that the launcher's own abort notice cannot land inside the line.
  const std::string line = "hwgq: rank " + std::to_string(rank_) + ": error: " + message + "\n";
  if (::write(STDERR_FILENO, line.data(), line.size()) < 0) std::cerr << line;
  google::FlushLogFiles(google::GLOG_INFO);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace hwgq::parallel
