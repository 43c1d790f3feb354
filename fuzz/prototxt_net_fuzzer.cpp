// Prototxt parsing and net construction: text -> NetParameter -> Net in both phases (with
// the default inference passes for TEST), then, when small enough, forward and backward.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "hwgq/common.hpp"
#include "hwgq/net.hpp"
#include "hwgq/passes/build_net.hpp"
#include "hwgq/util/io.hpp"

namespace {

// Shapes, kernels and counts up to 16 reach every code path; larger ones only make the
// same work bigger. A blob then holds at most 16^4 floats, an InnerProduct's weights 16^5,
// and a net at most 64 layers: real models (whose larger values are lowered) still fit.
constexpr int64_t kMaxInteger = 16;
constexpr int kMaxRepeatedMessages = 64;
constexpr int64_t kMaxRunWork = int64_t(1) << 24;

void run(const hwgq::NetParameter& param) {
  {
    auto net = hwgq::build_net(param, hwgq::inference_options());
    if (hwgq::fuzz::approximate_work(*net) <= kMaxRunWork) net->forward();
  }
  hwgq::Net train(param, hwgq::TRAIN, "fuzz.prototxt");
  if (hwgq::fuzz::approximate_work(train) <= kMaxRunWork) train.forward_backward();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hwgq::fuzz::init_fuzz_target();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hwgq::Context::get().set_random_seed(1);
  hwgq::NetParameter param;
  try {
    hwgq::parse_text_proto(std::string(reinterpret_cast<const char*>(data), size), "fuzz.prototxt", &param);
  } catch (const hwgq::Error&) {
    return 0;
  }
  hwgq::fuzz::clamp_integers(&param, kMaxInteger, kMaxRepeatedMessages);
  hwgq::fuzz::clear_file_paths(&param);
  try {
    run(param);
  } catch (const hwgq::Error&) {
  }
  return 0;
}
