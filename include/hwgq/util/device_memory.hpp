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

// Page-locked host memory for data prefetch: uploads from it run asynchronously and at
// full bus speed. Where no GPU is usable (or CUDA is not built in) it is ordinary aligned
// host memory, so data layers may use it unconditionally. Free only with pinned_free.
void* pinned_malloc(size_t bytes);
void pinned_free(void* ptr);
// Starts a host-to-device copy on the copy stream, which runs beside the compute stream;
// the host buffer must stay untouched until wait_for_uploads returns. With pageable
// memory it still works, but the driver stages it synchronously.
void upload_async(void* device_dst, const void* host_src, size_t bytes);
// Blocks until every upload_async issued so far has landed.
void wait_for_uploads();
// Blocks until all GPU work issued so far has finished (timing); no-op without CUDA.
void device_synchronize();

// Number of usable GPUs; 0 in a build without CUDA or on a machine without one.
int device_count();
// Selects the GPU for this process; raises hwgq::Error naming the id when it does not exist.
void select_device(int device);
// One paragraph per GPU: name, memory, compute capability (hwgq device_query).
std::string describe_devices();

}  // namespace hwgq
