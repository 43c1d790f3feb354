#include "hwgq/layers/packed_binary_params.hpp"

#include "hwgq/common.hpp"
#include "hwgq/filler.hpp"
#include "hwgq/layers/param_blobs.hpp"

namespace hwgq {

kernels::ActivationLevels read_input_levels(const LayerParameter& param, const std::string& where) {
  const auto& centers = param.quant_param().centers();
  HWGQ_REQUIRE(!centers.empty(), where << "needs quant_param { centers: q_1 ... centers: q_K }, the levels of its "
                                          "input (the centers of the Quant layer that feeds it)");
  try {
    return kernels::ActivationLevels(std::vector<float>(centers.begin(), centers.end()));
  } catch (const Error& e) {
    HWGQ_FAIL(where << "quant_param.centers: " << e.what());
  }
}

void setup_packed_bias(const std::string& where, std::vector<std::shared_ptr<Blob>>* blobs, bool bias_term,
                       int num_output, const FillerParameter& bias_filler) {
  const size_t expected = bias_term ? 1 : 0;
  if (!blobs->empty()) {
    HWGQ_REQUIRE(blobs->size() == expected,
                 where << "loaded " << blobs->size() << " parameter blob(s), but a packed binary layer keeps only "
                       << (bias_term ? "its bias (1 blob)" : "no float parameters (bias_term: false)")
                       << "; its packed weights are set separately");
    adopt_loaded_param(where, "bias", (*blobs)[0].get(), {num_output});
    return;
  }
  if (bias_term) {
    blobs->push_back(std::make_shared<Blob>(std::vector<int>{num_output}));
    fill_blob(bias_filler, (*blobs)[0].get());
  }
}

}  // namespace hwgq
