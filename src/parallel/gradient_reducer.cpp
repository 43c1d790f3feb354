#include "gradient_reducer.hpp"

#include <glog/logging.h>

#include "mpi_gradient_reducer.hpp"
#include "shared_memory_gradient_reducer.hpp"

namespace hwgq::parallel {

GradientTransport parse_gradient_transport(const std::string& text) {
  if (text == "auto") return GradientTransport::Auto;
  if (text == "shared_memory") return GradientTransport::SharedMemory;
  if (text == "mpi") return GradientTransport::Mpi;
  HWGQ_FAIL("unknown gradient reduction \"" << text << "\": choose auto, shared_memory or mpi");
}

std::unique_ptr<GradientReducer> make_gradient_reducer(const MpiWorld& world, Solver* solver, int64_t bucket_bytes,
                                                       bool overlap, GradientTransport transport,
                                                       const std::vector<bool>& averaged_elsewhere) {
  if (transport != GradientTransport::Mpi) {
    std::string why;
    auto shared = SharedMemoryGradientReducer::create(world, solver, bucket_bytes, overlap, averaged_elsewhere, &why);
    if (shared) return shared;
    if (transport == GradientTransport::SharedMemory) {
      world.abort("the gradient reduction over shared memory is not possible here: " + why);
    }
    LOG(INFO) << "Gradients reduced with MPI's allreduce: " << why;
  }
  return std::make_unique<MpiGradientReducer>(world, solver, bucket_bytes, overlap, averaged_elsewhere);
}

}  // namespace hwgq::parallel
