// A counter-based hash: well-spread 64-bit values from (seed, index), for randomness that
// must not depend on which thread or GPU block draws it (GPU dropout masks, per-item data
// augmentation). Host and device code share it.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define HWGQ_HASH_HOST_DEVICE __host__ __device__
#else
#define HWGQ_HASH_HOST_DEVICE
#endif

namespace hwgq {

// splitmix64's finaliser: a bijective mix whose low and high bits are well spread.
HWGQ_HASH_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The index-th value of the stream `seed` (splitmix64's Weyl sequence, then the mix).
HWGQ_HASH_HOST_DEVICE inline uint64_t counter_hash(uint64_t seed, uint64_t index) {
  return mix64(seed + 0x9e3779b97f4a7c15ULL * (index + 1));
}

}  // namespace hwgq
