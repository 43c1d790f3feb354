// Weights in Caffe's .caffemodel format with the HWGQ authors' LayerParameter fields
// (binary_convolution_param = 147, binary_inner_product_param = 148, quant_param = 149),
// and weights moving by layer name between nets built from the same graph: the authors'
// deploy files and the project's own hwgq models (docs/compatibility.md).
#include <gtest/gtest.h>

#include <string>

#include "hwgq/net.hpp"
#include "hwgq/util/io.hpp"
#include "models/model_test_util.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// Field 147, 148 or 149 holding a message with field 1 = true: tag (N << 3 | 2) as a
// two-byte varint, length 2, then tag 0x08 (field 1, varint) and 1.
std::string authors_param_bytes(int field) {
  const int tag = field << 3 | 2;
  return bytes({(tag & 0x7f) | 0x80, tag >> 7, 2, 0x08, 0x01});
}

TEST(CaffemodelCompat, AuthorsFieldNumbersOnTheWire) {
  LayerParameter conv;
  conv.mutable_binary_convolution_param()->set_use_alpha(true);
  EXPECT_EQ(conv.SerializeAsString(), bytes({0x9a, 0x09, 0x02, 0x08, 0x01}));  // 147
  LayerParameter ip;
  ip.mutable_binary_inner_product_param()->set_use_alpha(true);
  EXPECT_EQ(ip.SerializeAsString(), bytes({0xa2, 0x09, 0x02, 0x08, 0x01}));  // 148
  LayerParameter quant;
  quant.mutable_quant_param()->set_forward_func("hwgq");
  EXPECT_EQ(quant.SerializeAsString(), bytes({0xaa, 0x09, 0x06, 0x0a, 0x04, 'h', 'w', 'g', 'q'}));  // 149
}

// A .caffemodel as the authors' Caffe writes it, put together byte by byte, reads back
// with every field in place, and writes back the same bytes.
TEST(CaffemodelCompat, ReadsAHandWrittenAuthorsCaffemodel) {
  LayerParameter conv;
  conv.set_name("conv2");
  conv.set_type("BinaryConvolution");
  BlobProto* weights = conv.add_blobs();
  weights->mutable_shape()->add_dim(1);
  weights->add_data(-0.25f);
  LayerParameter ip;
  ip.set_name("fc6");
  ip.set_type("BinaryInnerProduct");
  LayerParameter quant;
  quant.set_name("qt2");
  quant.set_type("Quant");
  // The hwgq-specific parts are appended as raw bytes: the fields 147-149 themselves.
  const std::string conv_bytes = conv.SerializeAsString() + authors_param_bytes(147);
  const std::string ip_bytes = ip.SerializeAsString() + authors_param_bytes(148);
  const std::string quant_bytes = quant.SerializeAsString() +
                                  bytes({0xaa, 0x09, 0x0b, 0x0a, 0x04, 'h', 'w', 'g', 'q', 0x1d}) +
                                  std::string("\x00\x00\x80\x3f", 4);  // clip_thr (field 3, fixed32) = 1.0
  std::string file;
  for (const std::string* layer : {&conv_bytes, &ip_bytes, &quant_bytes}) {
    file += bytes({0xa2, 0x06, static_cast<int>(layer->size())});  // NetParameter.layer = 100
    file += *layer;
  }
  test::TempDir dir;
  write_file_atomic(dir.file("authors.caffemodel"), file);

  NetParameter net;
  read_binary_proto(dir.file("authors.caffemodel"), &net);
  ASSERT_EQ(net.layer_size(), 3);
  EXPECT_TRUE(net.layer(0).binary_convolution_param().use_alpha());
  EXPECT_EQ(net.layer(0).blobs(0).data(0), -0.25f);
  EXPECT_TRUE(net.layer(1).binary_inner_product_param().use_alpha());
  EXPECT_EQ(net.layer(2).quant_param().forward_func(), "hwgq");
  EXPECT_EQ(net.layer(2).quant_param().clip_thr(), 1.f);

  write_binary_proto(net, dir.file("again.caffemodel"));
  EXPECT_EQ(read_file(dir.file("again.caffemodel")), file);
}

// Upstream Caffe later gave 147 to swish_param (float beta = 1) and 148 to clip_param
// (float min = 1, max = 2). Their float fields do not match the bool fields here, so such
// a layer reads as an empty binary parameter whose content is kept as unknown fields and
// written back unchanged.
TEST(CaffemodelCompat, UpstreamSwishParamIsKeptNotMisread) {
  const std::string swish = bytes({0x9a, 0x09, 0x05, 0x0d}) + std::string("\x00\x00\x00\x40", 4);  // beta = 2
  LayerParameter layer;
  ASSERT_TRUE(layer.ParseFromString(swish));
  EXPECT_TRUE(layer.has_binary_convolution_param());
  EXPECT_FALSE(layer.binary_convolution_param().has_use_alpha());
  EXPECT_FALSE(layer.binary_convolution_param().has_use_binarization());
  EXPECT_EQ(layer.SerializeAsString(), swish);
}

// Forward at batch 1 on a fixed input; returns "prob".
std::vector<float> forward_prob(Net* net) {
  Blob* data = net->input_blobs().at(0);
  for (int i = 0; i < data->count(); ++i) data->mutable_cpu_data()[i] = static_cast<float>((i * 13) % 251) - 120.f;
  net->forward();
  const Blob* prob = net->blob_by_name("prob");
  return std::vector<float>(prob->cpu_data(), prob->cpu_data() + prob->count());
}

const std::string kOurResnet18 = HWGQ_SOURCE_DIR "/models/imagenet/resnet18/hwgq/deploy.prototxt";

// A net built from a prototxt loads the .caffemodel saved from another net of the same
// prototxt: every blob arrives, and both compute the same outputs.
void expect_weights_round_trip(const std::string& source_prototxt, const std::string& target_prototxt) {
  NetParameter source_param, target_param;
  read_text_proto(source_prototxt, &source_param);
  read_text_proto(target_prototxt, &target_param);
  set_batch_size(&source_param, 1);
  set_batch_size(&target_param, 1);
  Net source(source_param, TEST, source_prototxt);
  test::randomize_params(&source, 0.05f, 7);
  NetParameter saved;
  source.to_proto(&saved);
  test::TempDir dir;
  write_binary_proto(saved, dir.file("weights.caffemodel"));

  Net target(target_param, TEST, target_prototxt);
  target.copy_trained_layers_from(dir.file("weights.caffemodel"));
  int layers_with_weights = 0;
  for (const auto& layer : source.layers()) {
    if (layer->blobs().empty()) continue;
    ++layers_with_weights;
    const Layer* loaded = target.layer_by_name(layer->name());
    ASSERT_EQ(loaded->blobs().size(), layer->blobs().size()) << layer->name();
    for (size_t b = 0; b < layer->blobs().size(); ++b) {
      const Blob& want = *layer->blobs()[b];
      const Blob& got = *loaded->blobs()[b];
      ASSERT_EQ(got.shape(), want.shape()) << layer->name();
      EXPECT_EQ(std::vector<float>(got.cpu_data(), got.cpu_data() + got.count()),
                std::vector<float>(want.cpu_data(), want.cpu_data() + want.count()))
          << layer->name() << " blob " << b;
    }
  }
  EXPECT_GT(layers_with_weights, 40);
  const auto want = forward_prob(&source);
  const auto got = forward_prob(&target);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << i;
}

TEST(CaffemodelCompat, OurResnet18LoadsItsOwnWeights) { expect_weights_round_trip(kOurResnet18, kOurResnet18); }

TEST(CaffemodelCompat, AuthorsDeployLoadsWeightsSavedFromTheSamePrototxt) {
  const std::string reference = test::reference_dir();
  if (reference.empty()) GTEST_SKIP() << "the authors' files are not at hand";
  const std::string theirs = reference + "/imagenet/res18-hwgq-3ne-clip-poly-320k/deploy.prototxt";
  expect_weights_round_trip(theirs, theirs);
}

// Weights trained with the authors' ResNet-18 load into the project's model by name.
TEST(CaffemodelCompat, AuthorsResnet18WeightsLoadIntoOurModel) {
  const std::string reference = test::reference_dir();
  if (reference.empty()) GTEST_SKIP() << "the authors' files are not at hand";
  expect_weights_round_trip(reference + "/imagenet/res18-hwgq-3ne-clip-poly-320k/deploy.prototxt", kOurResnet18);
}

}  // namespace
}  // namespace hwgq
