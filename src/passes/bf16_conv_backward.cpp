#include "hwgq/passes/bf16_conv_backward.hpp"

#include <glog/logging.h>

#include <atomic>
#include <string>

#include "hwgq/layers/conv_engine.hpp"
#include "hwgq/layers/convolution_layer.hpp"

namespace hwgq {

int bf16_conv_backward(Net& net) {
  std::string why;
  if (!conv_bf16_backward_available(&why)) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      LOG(WARNING) << "bfloat16 convolution backward passes asked for, but " << why
                   << "; they stay float32";
    }
    return 0;
  }
  int switched = 0;
  std::string names;
  for (size_t i = 0; i < net.layers().size(); ++i) {
    // BinaryConvolution derives from Convolution: both are found here.
    auto* conv = dynamic_cast<ConvolutionLayer*>(net.layers()[i].get());
    if (!conv) continue;
    conv->set_backward_precision(ConvBackwardPrecision::BFloat16);
    names += (names.empty() ? "" : ", ") + net.layer_names()[i];
    ++switched;
  }
  LOG(INFO) << "bfloat16 backward passes (oneDNN, float gradients) in " << switched
            << " convolution layer(s) of net \"" << net.name() << "\"" << (names.empty() ? "" : ": ") << names;
  return switched;
}

}  // namespace hwgq
