#include "blob_view.hpp"

#include <memory>
#include <vector>

#include "hwgq/synced_memory.hpp"

namespace py = pybind11;

namespace hwgq::python {

py::array blob_view(Blob& blob, bool diff) {
  const std::vector<int>& shape = blob.shape();
  std::vector<py::ssize_t> dims(shape.begin(), shape.end());
  const std::shared_ptr<SyncedMemory>& memory = diff ? blob.diff_memory() : blob.data_memory();
  if (!memory || blob.count() == 0) return py::array(py::dtype::of<float>(), dims);
  float* values = diff ? blob.mutable_cpu_diff() : blob.mutable_cpu_data();
  // The capsule owns a reference to the buffer for as long as any array over it lives.
  auto* owner = new std::shared_ptr<SyncedMemory>(memory);
  py::capsule keep_alive(owner, [](void* p) { delete static_cast<std::shared_ptr<SyncedMemory>*>(p); });
  return py::array_t<float>(dims, values, keep_alive);
}

}  // namespace hwgq::python
