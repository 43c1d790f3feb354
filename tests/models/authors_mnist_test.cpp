// The HWGQ authors' MNIST LeNet (BinaryConvolution, BatchNorm, Quant, BinaryInnerProduct)
// read unchanged from ../shared/reference/hwgq-official, with only its LMDB data layers
// swapped for IdxData layers, trains with its own solver settings.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const std::string kAuthors = std::string(HWGQ_SOURCE_DIR) + "/../shared/reference/hwgq-official/mnist/lenet-hwgq-3ne";

TEST(AuthorsMnist, TrainsAFewIterationsWithItsDataSwapped) {
  if (!std::filesystem::exists(kAuthors)) GTEST_SKIP() << kAuthors << " is absent";
  test::TempDir dir;
  test::write_idx_pair(dir.file("images.idx"), dir.file("labels.idx"), 200, 28, 28, 10);

  NetParameter net;
  read_text_proto(kAuthors + "/train_val.prototxt", &net);
  int swapped = 0;
  for (auto& layer : *net.mutable_layer()) {
    if (layer.type() != "Data") continue;
    const int batch = static_cast<int>(layer.data_param().batch_size());
    const float scale = layer.transform_param().scale();
    layer.set_type("IdxData");
    layer.clear_data_param();
    layer.clear_transform_param();
    IdxDataParameter* idx = layer.mutable_idx_data_param();
    idx->set_images(dir.file("images.idx"));
    idx->set_labels(dir.file("labels.idx"));
    idx->set_batch_size(batch);
    idx->set_scale(scale);
    ++swapped;
  }
  ASSERT_EQ(swapped, 2);

  SolverParameter solver;
  read_text_proto(kAuthors + "/solver.prototxt", &solver);
  solver.clear_net();
  *solver.mutable_net_param() = net;
  solver.set_max_iter(4);
  solver.set_test_interval(2);
  solver.clear_test_iter();
  solver.add_test_iter(1);
  solver.set_snapshot(0);
  solver.set_snapshot_after_train(false);
  solver.set_solver_mode(SolverParameter::CPU);
  solver.set_random_seed(3);
  auto sgd = create_solver(solver, kAuthors + "/solver.prototxt");
  EXPECT_EQ(sgd->net().layer_by_name("qt1")->type(), std::string("Quant"));
  EXPECT_EQ(sgd->net().layer_by_name("conv1")->type(), std::string("BinaryConvolution"));
  const Blob* w = sgd->net().layer_by_name("conv2")->blobs()[0].get();
  const std::vector<float> before(w->cpu_data(), w->cpu_data() + w->count());
  sgd->solve();
  EXPECT_EQ(sgd->iter(), 4);
  const float loss = sgd->net().forward();
  EXPECT_TRUE(std::isfinite(loss));
  bool changed = false;
  for (int i = 0; i < w->count(); ++i) changed = changed || w->cpu_data()[i] != before[i];
  EXPECT_TRUE(changed) << "training did not update conv2's real-valued weights";
  const auto results = sgd->test_all();
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results[0].first, "accuracy");
}

}  // namespace
}  // namespace hwgq
