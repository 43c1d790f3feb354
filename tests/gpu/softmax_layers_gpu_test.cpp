// Softmax and SoftmaxWithLoss on the GPU against the CPU: classes with spatial positions
// (13 classes over 7 x 5) and the plain N x C form, ignore_label and the normalisations.
#include "gpu_test_util.hpp"
#include "hwgq/layer_registry.hpp"

namespace hwgq {
namespace {

using test::compare_layer;
using test::CompareOptions;
using test::layer_from_text;

TEST(GpuSoftmax, MatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob spatial({3, 13, 7, 5}), flat({17, 13});
  test::fill_gaussian(&spatial, 31, 0.f, 3.f);
  test::fill_gaussian(&flat, 32, 0.f, 3.f);
  CompareOptions options;
  options.forward_tolerance = 1e-5f;
  options.backward_tolerance = 1e-5f;
  compare_layer(layer_from_text("name: 'prob' type: 'Softmax'"), {&spatial}, options);
  compare_layer(layer_from_text("name: 'prob' type: 'Softmax'"), {&flat}, options);
  compare_layer(layer_from_text("name: 'prob' type: 'Softmax' softmax_param { axis: 2 }"), {&spatial}, options);
}

CompareOptions loss_options() {
  CompareOptions options;
  options.forward_tolerance = 1e-5f;
  options.backward_tolerance = 1e-5f;
  options.random_top_diff = false;  // top 0's diff is the loss weight
  options.propagate_down = {true, false};
  return options;
}

TEST(GpuSoftmaxWithLoss, SpatialScoresMatchCpu) {
  HWGQ_REQUIRE_GPU();
  Blob scores({3, 13, 7, 5}), labels({3, 7, 5});
  test::fill_gaussian(&scores, 33, 0.f, 2.f);
  test::fill_labels(&labels, 13, 34);
  for (const char* norm : {"VALID", "FULL", "BATCH_SIZE", "NONE"}) {
    SCOPED_TRACE(norm);
    compare_layer(layer_from_text(std::string("name: 'loss' type: 'SoftmaxWithLoss' loss_weight: 0.7 "
                                              "loss_param { ignore_label: 4 normalization: ") +
                                  norm + " }"),
                  {&scores, &labels}, loss_options());
  }
}

TEST(GpuSoftmaxWithLoss, ClassificationMatchesCpu) {
  HWGQ_REQUIRE_GPU();
  Blob scores({37, 13}), labels({37});
  test::fill_gaussian(&scores, 35, 0.f, 4.f);
  test::fill_labels(&labels, 13, 36);
  compare_layer(layer_from_text("name: 'loss' type: 'SoftmaxWithLoss' top: 'loss' top: 'prob'"), {&scores, &labels},
                loss_options());
}

TEST(GpuSoftmaxWithLoss, BadLabelRaisesTheCpuError) {
  HWGQ_REQUIRE_GPU();
  Blob scores({4, 5}), labels({4}), loss;
  test::fill_gaussian(&scores, 37);
  float* l = labels.mutable_cpu_data();
  l[0] = 1;
  l[1] = 7;  // out of range
  l[2] = 0;
  l[3] = 2;
  test::ModeScope mode(Mode::GPU);
  auto param = layer_from_text("name: 'loss' type: 'SoftmaxWithLoss'");
  std::unique_ptr<Layer> layer = create_layer(param);
  layer->setup({&scores, &labels}, {&loss});
  try {
    layer->forward({&scores, &labels}, {&loss});
    FAIL() << "an out-of-range label must raise hwgq::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("label 7 (at position 1)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hwgq
