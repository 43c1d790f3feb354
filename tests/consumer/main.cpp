// Builds a two-layer net from a prototxt string through the installed hwgq package, runs
// forward on known inputs and checks the result: exits 0 only when the output shape and
// every value are what the layers compute by hand.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <vector>

#include "hwgq/common.hpp"
#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"

namespace {

// fc = 0.5 * sum(inputs of the row) + 0.25, then ReLU in place.
const char* const kNet = R"(
name: "consumer"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
        inner_product_param { num_output: 2
                              weight_filler { type: "constant" value: 0.5 }
                              bias_filler { type: "constant" value: 0.25 } } }
layer { name: "relu" type: "ReLU" bottom: "fc" top: "fc" }
)";

int run() {
  hwgq::NetParameter param;
  hwgq::parse_text_proto(kNet, "consumer net", &param);
  hwgq::Net net(param, hwgq::TEST);

  const std::vector<float> input = {1, 2, 3, -4, -5, -6};
  hwgq::Blob* data = net.blob_by_name("data");
  std::copy(input.begin(), input.end(), data->mutable_cpu_data());
  net.forward();

  const hwgq::Blob* fc = net.blob_by_name("fc");
  const std::vector<float> expected = {3.25f, 3.25f, 0.f, 0.f};
  std::cout << "hwgq_consumer: fc shape " << fc->shape_string() << ", values";
  // + 0.f prints the -0 that ReLU leaves for negative inputs as 0.
  for (int i = 0; i < fc->count(); ++i) std::cout << ' ' << fc->cpu_data()[i] + 0.f;
  std::cout << '\n';

  if (fc->shape() != std::vector<int>{2, 2}) {
    std::cerr << "hwgq_consumer: expected shape 2 2\n";
    return 1;
  }
  for (int i = 0; i < 4; ++i) {
    if (std::fabs(fc->cpu_data()[i] - expected[i]) > 1e-6f) {
      std::cerr << "hwgq_consumer: value " << i << " is " << fc->cpu_data()[i] << ", expected " << expected[i]
                << '\n';
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const hwgq::Error& e) {
    std::cerr << "hwgq_consumer: error: " << e.what() << '\n';
    return 1;
  }
}
