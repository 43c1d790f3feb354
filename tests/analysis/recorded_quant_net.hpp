// A small net whose Quant layer runs in place after a BatchNorm, with weights on disk:
// shared by the activation recorder's tests and the CLI verbs that record activations
// (`hwgq histogram`, `hwgq quantizer --model`).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq::test {

inline std::string recorded_quant_net(const TempDir& dir) {
  return R"(
layer { name: "data" type: "IdxData" top: "data" top: "label"
        idx_data_param { images: ")" + dir.file("images.idx") + R"(" labels: ")" + dir.file("labels.idx") + R"("
                         batch_size: 10 scale: 0.0039 } }
layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc"
        inner_product_param { num_output: 16 weight_filler { type: "gaussian" std: 0.5 } } }
layer { name: "bn" type: "BatchNorm" bottom: "fc" top: "fc" }
layer { name: "q1" type: "Quant" bottom: "fc" top: "fc"
        quant_param { centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 } }
layer { name: "out" type: "InnerProduct" bottom: "fc" top: "out" inner_product_param { num_output: 3 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "out" bottom: "label" top: "loss" }
)";
}

// Writes net.prototxt, its IDX data and w.caffemodel into a fresh folder.
class RecordedQuantNet : public ::testing::Test {
 protected:
  void SetUp() override {
    write_idx_pair(dir_.file("images.idx"), dir_.file("labels.idx"), 40, 5, 5, 3);
    write_text(dir_.file("net.prototxt"), recorded_quant_net(dir_));
    Net net(dir_.file("net.prototxt"), TEST);
    // Running statistics of 1 per channel: the BatchNorm output is the raw inner product.
    Layer* bn = net.layer_by_name("bn");
    bn->blobs()[1]->set_data(1.f);
    bn->blobs()[2]->set_data(1.f);
    NetParameter weights;
    net.to_proto(&weights);
    write_binary_proto(weights, dir_.file("w.caffemodel"));
  }
  TempDir dir_;
};

}  // namespace hwgq::test
