#include "hwgq/deploy/onnx_export.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "hwgq/layers/batch_norm_layer.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/conv_param.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/math/im2col.hpp"

namespace hwgq {

namespace {

using onnx::AttributeProto;
using onnx::NodeProto;
using onnx::TensorProto;

std::vector<int64_t> dims_of(const std::vector<int>& shape) { return {shape.begin(), shape.end()}; }

// Builds the graph: ONNX values are single-assignment, so every layer output gets a fresh
// value name while hwgq blobs (written in place by BatchNorm, Quant, ReLU, ...) map to the
// value that holds their current contents.
class OnnxGraphWriter {
 public:
  OnnxGraphWriter(Net& net, const OnnxExportOptions& options, onnx::GraphProto* graph)
      : net_(net), options_(options), graph_(graph) {}

  void write_layer(int i);
  // Applies options.cut_blobs to the tops of layer i.
  void cut_tops(int i);
  void write_outputs(bool dynamic_batch);
  void write_input(int blob_id, bool dynamic_batch);

 private:
  const std::string& in(int layer, int k = 0) const { return current_.at(net_.bottom_ids(layer)[k]); }
  // A fresh value name for top k of the layer, which becomes that blob's contents once the
  // whole layer is written (so in() still gives the layer's inputs of an in-place layer).
  std::string out(int layer, int k = 0);
  void emit_layer(int i);
  // A fresh name for an intermediate value of the layer.
  std::string temp(int layer, const std::string& what) { return unique(net_.layer_names()[layer] + "/" + what); }
  std::string unique(const std::string& base) {
    std::string name = base;
    for (int n = 1; used_.count(name) > 0; ++n) name = base + "_" + std::to_string(n);
    used_.insert(name);
    return name;
  }
  NodeProto* node(int layer, const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs);
  std::string constant(int layer, const std::string& what, const std::vector<int64_t>& dims,
                       const std::vector<float>& values);
  std::string int_constant(int layer, const std::string& what, const std::vector<int64_t>& values);
  std::string scalar(int layer, const std::string& what, float value) { return constant(layer, what, {}, {value}); }
  // Shape [C, 1, ..., 1] that broadcasts along `axis` of a blob with `num_axes` axes.
  static std::vector<int64_t> channel_dims(int64_t channels, int axis, int num_axes);

  void convolution(int i);
  void inner_product(int i);
  void batch_norm(int i);
  void scale(int i);
  void quant(int i);
  void pooling(int i);
  void eltwise(int i);
  void lrn(int i);
  void reshape_to_top(int i);

  Net& net_;
  const OnnxExportOptions& options_;
  onnx::GraphProto* graph_;
  std::map<int, std::string> current_;  // blob id -> value holding it
  std::map<int, std::string> written_;  // blob id -> value the layer being written made
  std::set<std::string> used_;
};

void set_attr(NodeProto* n, const std::string& name, int64_t v) {
  AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INT);
  a->set_i(v);
}
void set_attr(NodeProto* n, const std::string& name, float v) {
  AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::FLOAT);
  a->set_f(v);
}
void set_attr(NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

std::string OnnxGraphWriter::out(int layer, int k) {
  const int blob = net_.top_ids(layer)[k];
  const std::string& blob_name = net_.blob_names()[blob];
  // The first value of a blob keeps its name; later (in-place) ones are named after the layer.
  const std::string name =
      used_.count(blob_name) ? unique(blob_name + "/" + net_.layer_names()[layer]) : unique(blob_name);
  written_[blob] = name;
  return name;
}

NodeProto* OnnxGraphWriter::node(int layer, const std::string& op, std::vector<std::string> inputs,
                                 std::vector<std::string> outputs) {
  NodeProto* n = graph_->add_node();
  n->set_name(unique(net_.layer_names()[layer] + "/" + op));
  n->set_op_type(op);
  for (auto& x : inputs) n->add_input(x);
  for (auto& x : outputs) n->add_output(x);
  return n;
}

std::string OnnxGraphWriter::constant(int layer, const std::string& what, const std::vector<int64_t>& dims,
                                      const std::vector<float>& values) {
  TensorProto* t = graph_->add_initializer();
  const std::string name = temp(layer, what);
  t->set_name(name);
  t->set_data_type(TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  // raw_data is little-endian, as hwgq's hosts are.
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return name;
}

std::string OnnxGraphWriter::int_constant(int layer, const std::string& what, const std::vector<int64_t>& values) {
  TensorProto* t = graph_->add_initializer();
  const std::string name = temp(layer, what);
  t->set_name(name);
  t->set_data_type(TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
  return name;
}

std::vector<int64_t> OnnxGraphWriter::channel_dims(int64_t channels, int axis, int num_axes) {
  std::vector<int64_t> dims{channels};
  for (int a = axis + 1; a < num_axes; ++a) dims.push_back(1);
  return dims;
}

void set_value_info(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int>& shape,
                    bool dynamic_batch) {
  v->set_name(name);
  auto* tensor = v->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(TensorProto::FLOAT);
  auto* s = tensor->mutable_shape();
  for (size_t a = 0; a < shape.size(); ++a) {
    auto* d = s->add_dim();
    if (a == 0 && dynamic_batch) {
      d->set_dim_param("N");
    } else {
      d->set_dim_value(shape[a]);
    }
  }
}

void OnnxGraphWriter::write_input(int blob_id, bool dynamic_batch) {
  const std::string& name = net_.blob_names()[blob_id];
  used_.insert(name);
  current_[blob_id] = name;
  set_value_info(graph_->add_input(), name, net_.blobs()[blob_id]->shape(), dynamic_batch);
}

void OnnxGraphWriter::cut_tops(int i) {
  // Split and Dropout write no value of their own (their tops alias the bottom).
  const std::string type = net_.layers()[i]->type();
  if (type == "Split" || type == "Dropout") return;
  for (int blob : net_.top_ids(i)) {
    const std::string& name = net_.blob_names()[blob];
    if (std::find(options_.cut_blobs.begin(), options_.cut_blobs.end(), name) == options_.cut_blobs.end()) continue;
    const std::vector<int>& shape = net_.blobs()[blob]->shape();
    set_value_info(graph_->add_output(), current_.at(blob), shape, options_.dynamic_batch);
    const std::string fed = unique(current_.at(blob) + ".fed");
    set_value_info(graph_->add_input(), fed, shape, options_.dynamic_batch);
    current_[blob] = fed;
  }
}

void OnnxGraphWriter::write_outputs(bool dynamic_batch) {
  const auto& names = net_.output_blob_names();
  for (size_t k = 0; k < names.size(); ++k) {
    const int blob =
        std::find(net_.blob_names().begin(), net_.blob_names().end(), names[k]) - net_.blob_names().begin();
    set_value_info(graph_->add_output(), current_.at(blob), net_.output_blobs()[k]->shape(), dynamic_batch);
  }
}

void OnnxGraphWriter::convolution(int i) {
  Layer& layer = *net_.layers()[i];
  const ConvolutionParameter& p = layer.layer_param().convolution_param();
  Conv2dGeometry g{};
  read_conv_geometry(p, "layer \"" + net_.layer_names()[i] + "\": ", &g);
  const Blob* weights = layer.blobs()[0].get();
  if (auto* binary = dynamic_cast<BinaryConvolutionLayer*>(&layer)) weights = &binary->binarized_weights();
  std::vector<std::string> inputs{in(i), constant(i, "W", dims_of(weights->shape()),
                                                  {weights->cpu_data(), weights->cpu_data() + weights->count()})};
  if (p.bias_term() && layer.blobs().size() > 1) {
    const Blob& b = *layer.blobs()[1];
    inputs.push_back(constant(i, "B", {b.count()}, {b.cpu_data(), b.cpu_data() + b.count()}));
  }
  NodeProto* n = node(i, "Conv", inputs, {out(i)});
  set_attr(n, "kernel_shape", std::vector<int64_t>{g.kernel_h, g.kernel_w});
  set_attr(n, "strides", std::vector<int64_t>{g.stride_h, g.stride_w});
  set_attr(n, "pads", std::vector<int64_t>{g.pad_h, g.pad_w, g.pad_h, g.pad_w});
  set_attr(n, "dilations", std::vector<int64_t>{g.dilation_h, g.dilation_w});
  set_attr(n, "group", static_cast<int64_t>(p.group()));
}

void OnnxGraphWriter::inner_product(int i) {
  Layer& layer = *net_.layers()[i];
  const InnerProductParameter& p = layer.layer_param().inner_product_param();
  const Blob* weights = layer.blobs()[0].get();
  if (auto* binary = dynamic_cast<BinaryInnerProductLayer*>(&layer)) weights = &binary->binarized_weights();
  const int axis = net_.bottom_vecs(i)[0]->canonical_axis(p.axis());
  const std::string flat = temp(i, "flat");
  set_attr(node(i, "Flatten", {in(i)}, {flat}), "axis", static_cast<int64_t>(axis));
  std::vector<std::string> inputs{
      flat, constant(i, "W", dims_of(weights->shape()), {weights->cpu_data(), weights->cpu_data() + weights->count()})};
  if (p.bias_term() && layer.blobs().size() > 1) {
    const Blob& b = *layer.blobs()[1];
    inputs.push_back(constant(i, "B", {b.count()}, {b.cpu_data(), b.cpu_data() + b.count()}));
  }
  // Caffe's weights are num_output x K (x K x num_output with transpose).
  const std::vector<int>& top_shape = net_.top_vecs(i)[0]->shape();
  const std::string gemm = axis == 1 ? out(i) : temp(i, "gemm");
  set_attr(node(i, "Gemm", inputs, {gemm}), "transB", static_cast<int64_t>(p.transpose() ? 0 : 1));
  if (axis != 1) {
    std::vector<int64_t> shape{-1};
    for (size_t a = 1; a < top_shape.size(); ++a) shape.push_back(top_shape[a]);
    node(i, "Reshape", {gemm, int_constant(i, "shape", shape)}, {out(i)});
  }
}

void OnnxGraphWriter::batch_norm(int i) {
  auto& layer = dynamic_cast<BatchNormLayer&>(*net_.layers()[i]);
  HWGQ_REQUIRE(layer.use_global_stats(), "layer \"" << net_.layer_names()[i]
                                                    << "\" (BatchNorm) normalises with batch statistics "
                                                    << "(use_global_stats: false); only global statistics can be exported");
  // (x - mean) * inv_std with the very mean and inv_std forward uses, so that the values are
  // hwgq's bit for bit.
  const float* mean = nullptr;
  const float* inv_std = nullptr;
  layer.global_normalization_cpu(&mean, &inv_std);
  const int C = layer.channels();
  const auto dims = channel_dims(C, 1, net_.bottom_vecs(i)[0]->num_axes());
  const std::string x = in(i);
  const std::string centred = temp(i, "centred");
  node(i, "Sub", {x, constant(i, "mean", dims, {mean, mean + C})}, {centred});
  node(i, "Mul", {centred, constant(i, "inv_std", dims, {inv_std, inv_std + C})}, {out(i)});
}

void OnnxGraphWriter::scale(int i) {
  Layer& layer = *net_.layers()[i];
  const ScaleParameter& p = layer.layer_param().scale_param();
  HWGQ_REQUIRE(net_.bottom_ids(i).size() == 1, "layer \"" << net_.layer_names()[i]
                                                          << "\" (Scale) takes its scale from a second bottom, "
                                                          << "which the ONNX export does not support");
  const Blob& bottom = *net_.bottom_vecs(i)[0];
  const int axis = bottom.canonical_axis(p.axis());
  const Blob& s = *layer.blobs()[0];
  std::vector<int64_t> dims = dims_of(s.shape());
  for (int a = axis + s.num_axes(); a < bottom.num_axes(); ++a) dims.push_back(1);
  const bool bias = p.bias_term();
  const std::string scaled = bias ? temp(i, "scaled") : out(i);
  node(i, "Mul", {in(i), constant(i, "scale", dims, {s.cpu_data(), s.cpu_data() + s.count()})}, {scaled});
  if (bias) {
    const Blob& b = *layer.blobs()[1];
    node(i, "Add", {scaled, constant(i, "bias", dims, {b.cpu_data(), b.cpu_data() + b.count()})}, {out(i)});
  }
}

void OnnxGraphWriter::quant(int i) {
  auto& layer = dynamic_cast<QuantLayer&>(*net_.layers()[i]);
  const float negative_slope = layer.layer_param().quant_param().negative_slope();
  const std::string x = in(i);
  switch (layer.forward_func()) {
    case QuantLayer::Forward::kHwgq: {
      // From the bottom cell up: y = -negative_slope for x <= 0, then q_j where x > cut_j
      // (cut_1 = 0, cut_j = thresholds[j-2]): Greater keeps a tie in the lower cell, as
      // hwgq does, and every level is stored exactly rather than summed from steps.
      const auto& q = layer.centers();
      const auto& t = layer.thresholds();
      std::string y = scalar(i, "level0", -negative_slope);
      for (size_t j = 0; j < q.size(); ++j) {
        const std::string above = temp(i, "above" + std::to_string(j + 1));
        node(i, "Greater", {x, scalar(i, "cut" + std::to_string(j + 1), j == 0 ? 0.f : t[j - 1])}, {above});
        const std::string next = temp(i, "level" + std::to_string(j + 1));
        node(i, "Where", {above, scalar(i, "q" + std::to_string(j + 1), q[j]), y}, {next});
        y = next;
      }
      // NaN compares false everywhere; hwgq passes it through.
      const std::string nan = temp(i, "is_nan");
      node(i, "IsNaN", {x}, {nan});
      node(i, "Where", {nan, x, y}, {out(i)});
      return;
    }
    case QuantLayer::Forward::kSign: {
      const std::string nonneg = temp(i, "nonnegative");
      node(i, "GreaterOrEqual", {x, scalar(i, "zero", 0.f)}, {nonneg});
      node(i, "Where", {nonneg, scalar(i, "plus_one", 1.f), scalar(i, "minus_one", -1.f)}, {out(i)});
      return;
    }
    case QuantLayer::Forward::kHardTanh:
      node(i, "Clip", {x, scalar(i, "min", -1.f), scalar(i, "max", 1.f)}, {out(i)});
      return;
    case QuantLayer::Forward::kRelu:
      // LeakyRelu with alpha 0 would give 0 * -inf = NaN where hwgq gives 0.
      if (negative_slope == 0.f) {
        node(i, "Relu", {x}, {out(i)});
      } else {
        set_attr(node(i, "LeakyRelu", {x}, {out(i)}), "alpha", negative_slope);
      }
      return;
  }
}

void OnnxGraphWriter::pooling(int i) {
  const std::string& name = net_.layer_names()[i];
  const PoolingParameter& p = net_.layers()[i]->layer_param().pooling_param();
  HWGQ_REQUIRE(p.pool() != PoolingParameter::STOCHASTIC,
               "layer \"" << name << "\" (Pooling) uses STOCHASTIC pooling, which has no ONNX operator");
  const bool max = p.pool() == PoolingParameter::MAX;
  if (p.global_pooling()) {
    node(i, max ? "GlobalMaxPool" : "GlobalAveragePool", {in(i)}, {out(i)});
    return;
  }
  const int kh = p.has_kernel_h() ? p.kernel_h() : p.kernel_size();
  const int kw = p.has_kernel_w() ? p.kernel_w() : p.kernel_size();
  const int sh = p.has_stride_h() ? p.stride_h() : p.stride();
  const int sw = p.has_stride_w() ? p.stride_w() : p.stride();
  const int ph = p.has_pad_h() ? p.pad_h() : p.pad();
  const int pw = p.has_pad_w() ? p.pad_w() : p.pad();
  const Blob& bottom = *net_.bottom_vecs(i)[0];
  const Blob& top = *net_.top_vecs(i)[0];
  const int H = bottom.shape(2), W = bottom.shape(3), OH = top.shape(2), OW = top.shape(3);
  // Caffe's output size (ceil, last window dropped when it starts past the padded input) as
  // ONNX's floor rule with an end pad that admits exactly the last window Caffe keeps.
  auto end_pad = [&](int in, int out, int k, int s, int pad) {
    const int e = std::max(0, (out - 1) * s + k - in - pad);
    HWGQ_REQUIRE((in + pad + e - k) / s + 1 == out && e < k,
                 "layer \"" << name << "\" (Pooling): no ONNX padding gives Caffe's output size " << out);
    return e;
  };
  std::string x = in(i);
  int start_h = ph, start_w = pw, size_h = H, size_w = W;
  if (!max && (ph > 0 || pw > 0)) {
    // Caffe's AVE divides by the window clipped to the padded extent, counting the padding
    // as zeros: pad explicitly, then let AveragePool count only what lies inside.
    const std::string padded = temp(i, "padded");
    node(i, "Pad", {x, int_constant(i, "pads", {0, 0, ph, pw, 0, 0, ph, pw})}, {padded});
    x = padded;
    start_h = start_w = 0;
    size_h = H + 2 * ph;
    size_w = W + 2 * pw;
  }
  NodeProto* n = node(i, max ? "MaxPool" : "AveragePool", {x}, {out(i)});
  set_attr(n, "kernel_shape", std::vector<int64_t>{kh, kw});
  set_attr(n, "strides", std::vector<int64_t>{sh, sw});
  set_attr(n, "pads",
           std::vector<int64_t>{start_h, start_w, end_pad(size_h - start_h, OH, kh, sh, start_h),
                                end_pad(size_w - start_w, OW, kw, sw, start_w)});
  if (!max) set_attr(n, "count_include_pad", int64_t{0});
}

void OnnxGraphWriter::eltwise(int i) {
  const EltwiseParameter& p = net_.layers()[i]->layer_param().eltwise_param();
  const int nb = static_cast<int>(net_.bottom_ids(i).size());
  std::vector<std::string> terms;
  for (int k = 0; k < nb; ++k) {
    std::string x = in(i, k);
    if (p.operation() == EltwiseParameter::SUM && k < p.coeff_size() && p.coeff(k) != 1.f) {
      const std::string scaled = temp(i, "term" + std::to_string(k));
      node(i, "Mul", {x, scalar(i, "coeff" + std::to_string(k), p.coeff(k))}, {scaled});
      x = scaled;
    }
    terms.push_back(x);
  }
  const char* op = p.operation() == EltwiseParameter::SUM    ? "Sum"
                   : p.operation() == EltwiseParameter::PROD ? "Mul"
                                                             : "Max";
  if (std::string(op) == "Mul") {
    // Mul is binary: left to right, as Caffe multiplies.
    std::string y = terms[0];
    for (int k = 1; k < nb; ++k) {
      const std::string next = k + 1 == nb ? out(i) : temp(i, "product" + std::to_string(k));
      node(i, "Mul", {y, terms[k]}, {next});
      y = next;
    }
    return;
  }
  node(i, op, terms, {out(i)});
}

void OnnxGraphWriter::lrn(int i) {
  const LRNParameter& p = net_.layers()[i]->layer_param().lrn_param();
  HWGQ_REQUIRE(p.norm_region() == LRNParameter::ACROSS_CHANNELS,
               "layer \"" << net_.layer_names()[i] << "\" (LRN) normalises WITHIN_CHANNEL, which has no ONNX operator");
  // ONNX LRN divides alpha by size as Caffe does: x / (k + alpha / n * sum x^2)^beta.
  NodeProto* n = node(i, "LRN", {in(i)}, {out(i)});
  set_attr(n, "size", static_cast<int64_t>(p.local_size()));
  set_attr(n, "alpha", p.alpha());
  set_attr(n, "beta", p.beta());
  set_attr(n, "bias", p.k());
}

void OnnxGraphWriter::reshape_to_top(int i) {
  const std::vector<int>& top_shape = net_.top_vecs(i)[0]->shape();
  HWGQ_REQUIRE(
      !top_shape.empty() && net_.bottom_vecs(i)[0]->num_axes() > 0 && top_shape[0] == net_.bottom_vecs(i)[0]->shape(0),
      "layer \"" << net_.layer_names()[i] << "\" (" << net_.layers()[i]->type()
                 << ") changes the batch axis, which the ONNX export does not support");
  std::vector<int64_t> shape{-1};
  for (size_t a = 1; a < top_shape.size(); ++a) shape.push_back(top_shape[a]);
  node(i, "Reshape", {in(i), int_constant(i, "shape", shape)}, {out(i)});
}

void OnnxGraphWriter::write_layer(int i) {
  written_.clear();
  emit_layer(i);
  for (const auto& [blob, value] : written_) current_[blob] = value;
}

void OnnxGraphWriter::emit_layer(int i) {
  const std::string type = net_.layers()[i]->type();
  const LayerParameter& param = net_.layers()[i]->layer_param();
  if (type == "Input") return;  // written as graph inputs
  if (type == "Split" || type == "Dropout") {
    // Copies of the bottom (Dropout is the identity at inference).
    for (size_t k = 0; k < net_.top_ids(i).size(); ++k) current_[net_.top_ids(i)[k]] = in(i);
    return;
  }
  if (type == "Convolution" || type == "BinaryConvolution") return convolution(i);
  if (type == "InnerProduct" || type == "BinaryInnerProduct") return inner_product(i);
  if (type == "BatchNorm") return batch_norm(i);
  if (type == "Scale") return scale(i);
  if (type == "Quant") return quant(i);
  if (type == "Pooling") return pooling(i);
  if (type == "Eltwise") return eltwise(i);
  if (type == "LRN") return lrn(i);
  if (type == "Flatten" || type == "Reshape") return reshape_to_top(i);
  if (type == "ReLU") {
    const float slope = param.relu_param().negative_slope();
    if (slope == 0.f) {
      node(i, "Relu", {in(i)}, {out(i)});
    } else {
      set_attr(node(i, "LeakyRelu", {in(i)}, {out(i)}), "alpha", slope);
    }
    return;
  }
  if (type == "Sigmoid" || type == "TanH") {
    node(i, type == "Sigmoid" ? "Sigmoid" : "Tanh", {in(i)}, {out(i)});
    return;
  }
  if (type == "Softmax") {
    const int axis = net_.bottom_vecs(i)[0]->canonical_axis(param.softmax_param().axis());
    set_attr(node(i, "Softmax", {in(i)}, {out(i)}), "axis", static_cast<int64_t>(axis));
    return;
  }
  if (type == "Concat") {
    const ConcatParameter& p = param.concat_param();
    const int axis = p.has_concat_dim() ? p.concat_dim() : net_.bottom_vecs(i)[0]->canonical_axis(p.axis());
    std::vector<std::string> inputs;
    for (size_t k = 0; k < net_.bottom_ids(i).size(); ++k) inputs.push_back(in(i, k));
    set_attr(node(i, "Concat", inputs, {out(i)}), "axis", static_cast<int64_t>(axis));
    return;
  }
  HWGQ_FAIL("layer \"" << net_.layer_names()[i] << "\" of type " << type
                       << " cannot be exported to ONNX (export a deploy net: Input, Convolution, InnerProduct, "
                          "their Binary forms, BatchNorm, Scale, Quant, ReLU, Pooling, LRN, Concat, Eltwise, "
                          "Dropout, Flatten, Reshape, Sigmoid, TanH, Softmax)");
}

}  // namespace

onnx::ModelProto export_onnx(Net& net, const OnnxExportOptions& options) {
  HWGQ_REQUIRE(!net.input_blobs().empty(), "net \"" << net.name() << "\" has no Input blob to export");
  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name("hwgq");
  model.set_producer_version(options.producer_version);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(net.name().empty() ? "hwgq" : net.name());
  for (const std::string& name : options.cut_blobs) {
    HWGQ_REQUIRE(net.has_blob(name), "cut blob \"" << name << "\" is not a blob of net \"" << net.name() << "\"");
    const auto& outputs = net.output_blob_names();
    HWGQ_REQUIRE(std::find(outputs.begin(), outputs.end(), name) == outputs.end(),
                 "cut blob \"" << name << "\" is an output of net \"" << net.name() << "\"");
  }
  OnnxGraphWriter writer(net, options, graph);
  for (size_t b = 0; b < net.blobs().size(); ++b) {
    if (std::find(net.input_blobs().begin(), net.input_blobs().end(), net.blobs()[b].get()) !=
        net.input_blobs().end()) {
      writer.write_input(static_cast<int>(b), options.dynamic_batch);
    }
  }
  for (size_t i = 0; i < net.layers().size(); ++i) {
    writer.write_layer(static_cast<int>(i));
    writer.cut_tops(static_cast<int>(i));
  }
  writer.write_outputs(options.dynamic_batch);
  return model;
}

}  // namespace hwgq
