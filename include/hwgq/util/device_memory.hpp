// Host-side entry points to GPU memory. In a build without CUDA every call raises
// hwgq::Error saying so, which is what a user asking for --gpu there should see.
#pragma once

#include <cstddef>
#include <string>

namespace hwgq {

void* device_malloc(size_t bytes);
void device_free(void* ptr);
void copy_host_to_device(void* dst, const void* src, size_t bytes);
void copy_device_to_host(void* dst, const void* src, size_t bytes);
void device_memset_zero(void* ptr, size_t bytes);

// Number of usable GPUs; 0 in a build without CUDA or on a machine without one.
int device_count();
// Selects the GPU for this process; raises hwgq::Error naming the id when it does not exist.
void select_device(int device);
// One paragraph per GPU: name, memory, compute capability (hwgq device_query).
std::string describe_devices();

}  // namespace hwgq
