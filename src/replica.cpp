#include "hwgq/replica.hpp"

#include "hwgq/common.hpp"

namespace hwgq {

namespace {
thread_local Replica replica;
}  // namespace

Replica this_replica() { return replica; }

void set_this_replica(int rank, int count) {
  HWGQ_REQUIRE(count >= 1 && rank >= 0 && rank < count,
               "replica " << rank << " of " << count << " is not a valid place in a data-parallel run");
  replica = Replica{rank, count};
}

}  // namespace hwgq
