// `hwgq convert` and the library behind it: binary <-> text protobuf for weights
// (.caffemodel), blobs (.binaryproto) and solver states, direction and kind from the file
// names or --to / --type, exact round trips.
#include "hwgq/util/proto_convert.hpp"

#include <gtest/gtest.h>

#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

using test::run_hwgq;

std::string plan_error(const std::string& input, const std::string& output, const std::string& to = "",
                       const std::string& type = "") {
  try {
    plan_proto_conversion(input, output, to, type);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ProtoConvertPlan, DirectionAndKindFromTheNames) {
  auto plan = plan_proto_conversion("w.caffemodel", "w.prototxt", "", "");
  EXPECT_EQ(plan.kind, ProtoKind::Net);
  EXPECT_EQ(plan.from, ProtoForm::Binary);
  EXPECT_EQ(plan.to, ProtoForm::Text);

  plan = plan_proto_conversion("w.prototxt", "w2.caffemodel", "", "");
  EXPECT_EQ(plan.kind, ProtoKind::Net);
  EXPECT_EQ(plan.to, ProtoForm::Binary);

  plan = plan_proto_conversion("mean.binaryproto", "mean.txt", "", "");
  EXPECT_EQ(plan.kind, ProtoKind::Blob);
  EXPECT_EQ(plan.to, ProtoForm::Text);

  // The kind may stand inside a text name; the direction then follows from the input.
  plan = plan_proto_conversion("x.solverstate.pbtxt", "x.out", "", "");
  EXPECT_EQ(plan.kind, ProtoKind::SolverState);
  EXPECT_EQ(plan.from, ProtoForm::Text);
  EXPECT_EQ(plan.to, ProtoForm::Binary);

  plan = plan_proto_conversion("X.SOLVERSTATE", "state", "", "");
  EXPECT_EQ(plan.kind, ProtoKind::SolverState);
  EXPECT_EQ(plan.to, ProtoForm::Text);
}

TEST(ProtoConvertPlan, FlagsOverrideTheNames) {
  auto plan = plan_proto_conversion("a", "b", "binary", "solver");
  EXPECT_EQ(plan.kind, ProtoKind::Solver);
  EXPECT_EQ(plan.from, ProtoForm::Text);
  EXPECT_EQ(plan.to, ProtoForm::Binary);
  plan = plan_proto_conversion("w.prototxt", "w.txt", "binary", "net");
  EXPECT_EQ(plan.to, ProtoForm::Binary);
}

TEST(ProtoConvertPlan, Errors) {
  EXPECT_NE(plan_error("", "b.prototxt").find("--input"), std::string::npos);
  EXPECT_NE(plan_error("a.prototxt", "a.prototxt").find("the same file"), std::string::npos);
  EXPECT_NE(plan_error("a", "b").find("--to=text|binary"), std::string::npos);
  EXPECT_NE(plan_error("a.pb", "b.prototxt").find("--type=net|blob|solverstate|solver"), std::string::npos);
  EXPECT_NE(plan_error("a", "b", "json").find("--to must be text or binary"), std::string::npos);
  EXPECT_NE(plan_error("a.caffemodel", "b.txt", "", "weights").find("--type must be"), std::string::npos);
}

NetParameter sample_weights() {
  NetParameter net;
  net.set_name("tiny");
  LayerParameter* conv = net.add_layer();
  conv->set_name("conv2");
  conv->set_type("BinaryConvolution");
  conv->mutable_binary_convolution_param()->set_use_alpha(true);
  BlobProto* blob = conv->add_blobs();
  for (int d : {2, 1, 3, 3}) blob->mutable_shape()->add_dim(d);
  // Values that need all nine significant digits, and extremes.
  const float values[] = {0.1f, -1.f / 3.f, 3.14159274f, 1e-38f, -2.5e30f, 0.f, 1.17549435e-38f, 123456.789f, -7.f};
  for (int i = 0; i < 18; ++i) blob->add_data(values[i % 9] * (i < 9 ? 1.f : -0.5f));
  LayerParameter* quant = net.add_layer();
  quant->set_name("qt2");
  quant->set_type("Quant");
  for (float c : {0.538f, 1.076f, 1.614f}) quant->mutable_quant_param()->add_centers(c);
  return net;
}

TEST(ConvertCli, CaffemodelToTextAndBackIsExact) {
  test::TempDir dir;
  write_binary_proto(sample_weights(), dir.file("w.caffemodel"));
  auto result = run_hwgq("convert --input=" + dir.file("w.caffemodel") + " --output=" + dir.file("w.prototxt"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("NetParameter as text"), std::string::npos) << result.output;
  const std::string text = read_file(dir.file("w.prototxt"));
  EXPECT_NE(text.find("name: \"conv2\""), std::string::npos) << text;
  EXPECT_NE(text.find("binary_convolution_param {"), std::string::npos) << text;
  EXPECT_NE(text.find("centers: 0.538"), std::string::npos) << text;

  result = run_hwgq("convert --input=" + dir.file("w.prototxt") + " --output=" + dir.file("back.caffemodel"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_file(dir.file("back.caffemodel")), read_file(dir.file("w.caffemodel")));
}

TEST(ConvertCli, BinaryprotoAndSolverstateRoundTrips) {
  test::TempDir dir;
  BlobProto mean;
  mean.set_num(1);
  mean.set_channels(3);
  mean.set_height(1);
  mean.set_width(2);
  for (float v : {104.f, 117.f, 123.f, 104.5f, 117.25f, 122.875f}) mean.add_data(v);
  write_binary_proto(mean, dir.file("mean.binaryproto"));
  SolverState state;
  state.set_iter(1234);
  state.set_learned_net("net_iter_1234.caffemodel");
  state.add_history()->add_data(-0.125f);
  write_binary_proto(state, dir.file("s.solverstate"));

  for (const std::string name : {"mean.binaryproto", "s.solverstate"}) {
    SCOPED_TRACE(name);
    auto result = run_hwgq("convert --input=" + dir.file(name) + " --output=" + dir.file(name + ".txt"));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    result = run_hwgq("convert --input=" + dir.file(name + ".txt") + " --output=" + dir.file("back_" + name));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(read_file(dir.file("back_" + name)), read_file(dir.file(name)));
  }
  EXPECT_NE(read_file(dir.file("s.solverstate.txt")).find("iter: 1234"), std::string::npos);
  EXPECT_NE(read_file(dir.file("mean.binaryproto.txt")).find("data: 122.875"), std::string::npos);
}

TEST(ConvertCli, ToAndTypeFlags) {
  test::TempDir dir;
  write_binary_proto(sample_weights(), dir.file("weights.bin"));
  const auto result = run_hwgq("convert --input=" + dir.file("weights.bin") + " --output=" + dir.file("out") +
                               " --to=text --type=net");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  NetParameter net;
  read_text_proto(dir.file("out"), &net);
  EXPECT_EQ(net.SerializeAsString(), sample_weights().SerializeAsString());
}

TEST(ConvertCli, Errors) {
  test::TempDir dir;
  auto result = run_hwgq("convert --input=" + dir.file("absent.caffemodel") + " --output=" + dir.file("a.prototxt"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find(dir.file("absent.caffemodel")), std::string::npos) << result.output;

  test::write_text(dir.file("bad.prototxt"), "layer { name: \"x\" bogus: 1 }\n");
  result = run_hwgq("convert --input=" + dir.file("bad.prototxt") + " --output=" + dir.file("bad.caffemodel"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find(dir.file("bad.prototxt") + ":1:"), std::string::npos) << result.output;
  EXPECT_FALSE(file_exists(dir.file("bad.caffemodel")));

  // A text file given where binary is expected.
  test::write_text(dir.file("text.caffemodel"), "name: \"not binary\"\n");
  result = run_hwgq("convert --input=" + dir.file("text.caffemodel") + " --output=" + dir.file("t.prototxt"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("not a binary"), std::string::npos) << result.output;

  result = run_hwgq("convert extra --input=a.caffemodel --output=b.prototxt");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("no positional arguments"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace hwgq
