#include "hwgq/cross_replica_sum.hpp"

#include <utility>

namespace hwgq {

namespace {
thread_local CrossReplicaSum installed_sum;
}  // namespace

const CrossReplicaSum& cross_replica_sum() { return installed_sum; }

void set_cross_replica_sum(CrossReplicaSum sum) { installed_sum = std::move(sum); }

}  // namespace hwgq
