// A sum over all replicas of a data-parallel run, for the few layers whose forward or
// backward needs more than this replica's batch (synchronized BatchNorm). Core and layers
// know no MPI: the data-parallel code of the CLI installs the sum (an MPI allreduce), and a
// process training alone has none. Per thread, like hwgq::Replica.
#pragma once

#include <functional>

namespace hwgq {

// Replaces values[0 .. count) on every replica by the element-wise sums over all replicas.
// Blocks until every replica has called it with the same count; every replica must make
// the same calls in the same order.
using CrossReplicaSum = std::function<void(double* values, int count)>;

// The calling thread's sum, or an empty function when none is installed (one replica).
const CrossReplicaSum& cross_replica_sum();
// Installs `sum` for the calling thread; an empty function removes it.
void set_cross_replica_sum(CrossReplicaSum sum);

}  // namespace hwgq
