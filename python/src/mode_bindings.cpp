// set_mode_cpu / set_mode_gpu / set_device / set_random_seed, as pycaffe's. Like the
// CLI's --gpu, they set the calling thread's Context (include/hwgq/common.hpp).
#include "bindings.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/device_memory.hpp"
#include "hwgq/util/thread_wait_policy.hpp"

namespace py = pybind11;

namespace hwgq::python {

void define_mode(py::module_& module) {
  module.def("set_mode_cpu", [] { Context::get().set_mode(Mode::CPU); });
  module.def(
      "set_mode_gpu",
      [] {
        HWGQ_REQUIRE(cuda_compiled(), "set_mode_gpu: this hwgq was built without CUDA (configure with "
                                      "-DHWGQ_USE_CUDA=ON)");
        HWGQ_REQUIRE(device_count() > 0, "set_mode_gpu: no CUDA device is visible");
        select_device(Context::get().device());
        Context::get().set_mode(Mode::GPU);
      },
      "Runs nets on the GPU chosen with set_device (0 by default).");
  module.def(
      "set_device",
      [](int device) {
        HWGQ_REQUIRE(device >= 0, "set_device: device ids start at 0, got " << device);
        if (cuda_compiled() && device_count() > 0) select_device(device);
        else HWGQ_REQUIRE(device == 0, "set_device(" << device << "): there is no CUDA device");
        Context::get().set_device(device);
      },
      py::arg("device"));
  module.def(
      "set_random_seed", [](uint64_t seed) { Context::get().set_random_seed(seed); }, py::arg("seed"),
      "Seeds fillers, dropout and data shuffling of nets built afterwards on this thread.");
  module.def("cuda_compiled", &cuda_compiled, "Whether this build has the CUDA backend.");
  module.def("device_count", &device_count, "Usable GPUs (0 without CUDA).");
  // The spin count the package sets before loading the extension (hwgq/__init__.py).
  module.attr("DEFAULT_OPENMP_SPIN_COUNT") = kDefaultOpenMpSpinCount;
}

}  // namespace hwgq::python
