// This thread's place in a data-parallel run: replica `rank` of `count` (0 of 1 when the
// process trains alone). The CLI sets it before building nets; data layers read it at
// setup and take every count-th item of their stream, starting at item `rank`, so the
// replicas share each epoch without overlap. Per thread, like hwgq::Context.
#pragma once

namespace hwgq {

struct Replica {
  int rank = 0;
  int count = 1;
};

// The calling thread's replica.
Replica this_replica();
// Raises hwgq::Error unless 0 <= rank < count.
void set_this_replica(int rank, int count);

}  // namespace hwgq
