#include "flags.hpp"

#include "hwgq/common.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/util/device_memory.hpp"

DEFINE_string(solver, "", "solver prototxt (train)");
DEFINE_string(model, "", "net prototxt (test, time, binarize, histogram, quantizer)");
DEFINE_string(weights, "", "weights to start from or evaluate (.caffemodel); comma-separated files are loaded in turn");
DEFINE_string(snapshot, "", ".solverstate to resume training from");
DEFINE_string(output, "", "output file or folder");
DEFINE_int32(iterations, 50, "iterations to run (test, time)");
DEFINE_int32(batch, 0, "override the batch size of the net's inputs (time); 0 keeps the prototxt's");
DEFINE_int32(gpu, -1, "GPU id to run on; -1 runs on the CPU");
DEFINE_int32(threads, 0, "CPU threads for BLAS and elementwise loops; 0 keeps the library default");
DEFINE_string(phase, "", "TRAIN or TEST: the net phase (time defaults to TRAIN, test to TEST)");
DEFINE_string(layer, "", "layer name (quantizer --model mode)");

namespace hwgq::cli {

void apply_device_flags() {
  set_num_threads(FLAGS_threads);
  if (FLAGS_gpu >= 0) {
    select_device(FLAGS_gpu);
    Context::get().set_mode(Mode::GPU);
    Context::get().set_device(FLAGS_gpu);
  } else {
    Context::get().set_mode(Mode::CPU);
  }
}

}  // namespace hwgq::cli
