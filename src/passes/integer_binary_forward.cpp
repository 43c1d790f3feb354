#include "hwgq/passes/integer_binary_forward.hpp"

#include <glog/logging.h>

#include <algorithm>
#include <sstream>

#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/layers/split_layer.hpp"

namespace hwgq {

namespace {

// The layer that last writes `blob` before layer `before`, looking through Split layers
// (their tops share the bottom's values); -1 when none does (a net input).
int value_source(const Net& net, int blob, int before) {
  for (int j = before - 1; j >= 0; --j) {
    const auto& tops = net.top_ids(j);
    if (std::find(tops.begin(), tops.end(), blob) == tops.end()) continue;
    if (dynamic_cast<const SplitLayer*>(net.layers()[j].get())) return value_source(net, net.bottom_ids(j)[0], j);
    return j;
  }
  return -1;
}

// The codes of the Quant at `source`, or the reason there are none.
bool quant_codes(const Net& net, int source, kernels::LevelCodes* codes, std::string* why) {
  const auto* quant = source >= 0 ? dynamic_cast<const QuantLayer*>(net.layers()[source].get()) : nullptr;
  if (!quant) {
    *why = source < 0 ? "the bottom is a net input"
                      : "the bottom is written by \"" + net.layer_names()[source] + "\" (" +
                            net.layers()[source]->type() + "), not a Quant";
    return false;
  }
  if (quant->forward_func() != QuantLayer::Forward::kHwgq) {
    *why = "Quant \"" + net.layer_names()[source] + "\" does not use forward_func hwgq";
    return false;
  }
  if (quant->layer_param().quant_param().negative_slope() != 0.f) {
    *why = "Quant \"" + net.layer_names()[source] + "\" has negative_slope != 0 (its zero level is not 0)";
    return false;
  }
  if (!kernels::uniform_codes(quant->centers(), codes)) {
    std::ostringstream centers;
    for (size_t j = 0; j < quant->centers().size(); ++j) centers << (j ? ", " : "") << quant->centers()[j];
    *why = "the centers of Quant \"" + net.layer_names()[source] + "\" (" + centers.str() +
           ") are not uniform (q_j = j * q_1); non-uniform levels stay on the float path";
    return false;
  }
  return true;
}

}  // namespace

int integer_binary_forward(Net& net) {
  if (!net.definition().integer_binary_forward()) return 0;
  int switched = 0;
  for (size_t i = 0; i < net.layers().size(); ++i) {
    Layer* layer = net.layers()[i].get();
    auto* conv = dynamic_cast<BinaryConvolutionLayer*>(layer);
    auto* fc = dynamic_cast<BinaryInnerProductLayer*>(layer);
    if (!conv && !fc) continue;
    const std::string& name = net.layer_names()[i];
    if (conv ? conv->integer_forward() : fc->integer_forward()) continue;
    if (!(conv ? conv->integer_forward_allowed() : fc->integer_forward_allowed())) {
      LOG(INFO) << layer->type() << " \"" << name << "\": float forward (use_binarization or integer_forward is false)";
      continue;
    }
    const int source = value_source(net, net.bottom_ids(i)[0], static_cast<int>(i));
    kernels::LevelCodes codes;
    std::string why;
    if (!quant_codes(net, source, &codes, &why)) {
      LOG(INFO) << layer->type() << " \"" << name << "\": float forward (" << why << ")";
      continue;
    }
    if (conv) {
      conv->use_integer_forward(codes);
    } else {
      fc->use_integer_forward(codes);
    }
    ++switched;
    LOG(INFO) << layer->type() << " \"" << name << "\": integer forward on the CPU (codes 0.." << codes.max_code()
              << " of Quant \"" << net.layer_names()[source] << "\", step " << codes.step << ", "
              << kernels::code_sign_kernel_name(kernels::active_code_sign_kernel())
              << ")";
  }
  return switched;
}

}  // namespace hwgq
