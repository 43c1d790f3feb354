// .caffemodel parsing and loading: the input is a weights file (binary NetParameter, or
// text as the loader's fallback) copied by layer name into the tiny net of tiny_net.hpp,
// which then runs forward on the loaded weights.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz_support.hpp"
#include "hwgq/common.hpp"
#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "tiny_net.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hwgq::fuzz::init_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hwgq::fuzz::ScratchFile weights("weights.caffemodel");
  hwgq::Context::get().set_random_seed(1);
  hwgq::NetParameter model;
  hwgq::parse_text_proto(hwgq::fuzz::tiny_train_net(), "tiny_net", &model);
  hwgq::Net net(model, hwgq::TEST, "tiny_net");
  weights.write(data, size);
  try {
    net.copy_trained_layers_from(weights.path());
  } catch (const hwgq::Error&) {
    return 0;
  }
  try {
    net.forward();
  } catch (const hwgq::Error&) {
  }
  return 0;
}
