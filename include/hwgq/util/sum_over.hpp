// Sums of one integer field over the rows of a report that a predicate selects (the
// totals of `hwgq summary` and of the packed-model export report).
#pragma once

#include <cstdint>
#include <vector>

namespace hwgq {

template <class Row, class Keep>
int64_t sum_over(const std::vector<Row>& rows, int64_t Row::*field, Keep keep) {
  int64_t sum = 0;
  for (const Row& row : rows) sum += keep(row) ? row.*field : 0;
  return sum;
}

}  // namespace hwgq
