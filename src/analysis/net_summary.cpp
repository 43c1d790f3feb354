#include "hwgq/analysis/net_summary.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "hwgq/kernels/packed_types.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/util/sum_over.hpp"

namespace hwgq {

namespace {

bool is_convolution(const std::string& type) { return type == "Convolution" || type == "BinaryConvolution"; }
bool is_inner_product(const std::string& type) { return type == "InnerProduct" || type == "BinaryInnerProduct"; }

// The layer that wrote the value layer `reader` reads as its first bottom, looking through
// the Split layers Net inserts where one value has several readers (an in-place layer
// such as Quant on pool1 is the last writer of that value). -1: a net input or no bottom.
int producer_of_first_bottom(const Net& net, int reader) {
  if (net.bottom_ids(reader).empty()) return -1;
  int blob = net.bottom_ids(reader)[0];
  for (int j = reader - 1; j >= 0; --j) {
    const auto& tops = net.top_ids(j);
    if (std::find(tops.begin(), tops.end(), blob) == tops.end()) continue;
    if (std::string(net.layers()[j]->type()) != "Split") return j;
    blob = net.bottom_ids(j)[0];
  }
  return -1;
}

// Bits per value of a Quant layer's output, 32 when its output is not a small set of
// values (hard tanh, ReLU, or hwgq with a negative slope, whose x <= 0 side stays real).
int quant_output_bits(const QuantLayer& quant) {
  switch (quant.forward_func()) {
    case QuantLayer::Forward::kSign:
      return 1;
    case QuantLayer::Forward::kHwgq: {
      if (quant.layer_param().quant_param().negative_slope() != 0.f) return 32;
      // K positive levels and 0: K + 1 codes.
      const size_t codes = quant.centers().size() + 1;
      return static_cast<int>(std::ceil(std::log2(double(codes))));
    }
    default:
      return 32;
  }
}

// Whether `hwgq export` packs a binary layer reading this Quant's output onto popcount
// arithmetic (forward hwgq with code 0 meaning the value 0).
bool packs_as_codes(const QuantLayer& quant) {
  return quant.forward_func() == QuantLayer::Forward::kHwgq &&
         quant.layer_param().quant_param().negative_slope() == 0.f;
}

// Output values per image times weights per output value.
int64_t macs_per_image(const Layer& layer, const Blob& top) {
  const std::string type = layer.type();
  if (layer.blobs().empty() || top.num_axes() == 0 || top.shape(0) == 0) return 0;
  const Blob& weights = *layer.blobs()[0];
  int64_t out_channels = 0;
  if (is_convolution(type)) {
    out_channels = weights.shape(0);  // out_c x (in_c / group) x k_h x k_w
  } else if (is_inner_product(type)) {
    out_channels = layer.layer_param().inner_product_param().num_output();
  } else {
    return 0;
  }
  if (out_channels <= 0) return 0;
  const int64_t per_output = int64_t(weights.count()) / out_channels;
  return int64_t(top.count()) / top.shape(0) * per_output;
}

// Whether the layer's weights are binarized (1 bit) on the forward pass.
bool binarized(const Layer& layer) {
  if (auto* conv = dynamic_cast<const BinaryConvolutionLayer*>(&layer)) return conv->use_binarization();
  if (auto* ip = dynamic_cast<const BinaryInnerProductLayer*>(&layer)) return ip->use_binarization();
  return false;
}

// Bytes of a binary layer's sign bits and alphas in the packed layout `hwgq export` writes
// (kernels::PackedBinaryWeights: output channels padded to blocks of 8 lanes, each kernel
// tap's input channels padded to 64-bit words).
int64_t packed_sign_bytes(const Layer& layer) {
  const Blob& w = *layer.blobs()[0];
  kernels::PackedBinaryWeights shape;
  shape.out_channels = w.shape(0);
  if (is_convolution(layer.type())) {
    shape.in_channels = w.shape(1);
    shape.kernel_h = w.num_axes() > 2 ? w.shape(2) : 1;
    shape.kernel_w = w.num_axes() > 3 ? w.shape(3) : 1;
    shape.groups = std::max<int>(1, layer.layer_param().convolution_param().group());
  } else {
    shape.in_channels = shape.out_channels > 0 ? w.count() / shape.out_channels : 0;
    shape.kernel_h = shape.kernel_w = 1;
    shape.groups = 1;
  }
  shape.words_per_position = kernels::words_for_channels(shape.in_channels);
  return int64_t(shape.expected_words()) * 8 + int64_t(shape.out_channels) * 4;
}

std::string shape_text(const std::vector<int>& shape) {
  if (shape.empty()) return "scalar";  // a 0-axis blob, e.g. a loss or an accuracy
  std::ostringstream out;
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "x" : "") << shape[i];
  return out.str();
}

std::string json_string(const std::string& text) {
  std::ostringstream out;
  out << '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out << '\\' << c;
    } else if (c < 0x20) {
      out << "\\u" << std::hex << std::setw(4) << std::setfill('0') << int(c) << std::dec << std::setfill(' ');
    } else {
      out << c;
    }
  }
  out << '"';
  return out.str();
}

// 1234567 -> "1,234,567": MAC counts of ImageNet nets are hard to read otherwise.
std::string grouped(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int i = int(digits.size()) - 3; i > 0; i -= 3) digits.insert(size_t(i), ",");
  return (value < 0 ? "-" : "") + digits;
}

std::string percent(double share) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << share << " %";
  return out.str();
}

}  // namespace

NetSummary summarize_net(const Net& net) {
  NetSummary summary;
  summary.name = net.name();
  summary.phase = net.phase();
  for (size_t i = 0; i < net.layers().size(); ++i) {
    if (!net.top_vecs(int(i)).empty() && net.top_vecs(int(i))[0]->num_axes() > 0) {
      summary.batch = net.top_vecs(int(i))[0]->shape(0);
      break;
    }
  }
  for (int i = 0; i < static_cast<int>(net.layers().size()); ++i) {
    const Layer& layer = *net.layers()[i];
    LayerSummary row;
    row.name = layer.name();
    row.type = layer.type();
    for (const Blob* top : net.top_vecs(i)) row.output_shapes.push_back(top->shape());
    for (const auto& blob : layer.blobs()) row.params += blob->count();
    row.float_bytes = row.params * 4;
    row.packed_bytes = row.float_bytes;
    if (!net.top_vecs(i).empty()) row.macs = macs_per_image(layer, *net.top_vecs(i)[0]);
    row.binary_weights = binarized(layer);
    row.weight_bits = row.binary_weights ? 1 : (layer.blobs().empty() ? 0 : 32);

    if (!net.bottom_ids(i).empty()) {
      row.activation_bits = 32;
      const int producer = producer_of_first_bottom(net, i);
      if (producer >= 0) {
        if (auto* quant = dynamic_cast<const QuantLayer*>(net.layers()[producer].get())) {
          row.activation_bits = quant_output_bits(*quant);
          row.quantized_input = row.binary_weights && packs_as_codes(*quant);
        }
      }
    }

    if (row.binary_weights) {
      const int64_t weight_values = layer.blobs()[0]->count();
      const int64_t bias_bytes = (row.params - weight_values) * 4;
      const int64_t sign_bytes = packed_sign_bytes(layer);
      // Export keeps sign bits unless the input is float and the alpha * sign floats are
      // no larger (few input channels leave most of each 64-bit word as padding).
      const bool as_floats = !row.quantized_input && sign_bytes >= weight_values * 4;
      row.packed_bytes = (as_floats ? weight_values * 4 : sign_bytes) + bias_bytes;
    }
    summary.layers.push_back(row);
  }
  return summary;
}

namespace {

bool every_row(const LayerSummary&) { return true; }
bool binary_row(const LayerSummary& row) { return row.binary_weights; }
bool popcount_row(const LayerSummary& row) { return row.binary_weights && row.quantized_input; }

}  // namespace

int64_t NetSummary::params() const { return sum_over(layers, &LayerSummary::params, every_row); }
int64_t NetSummary::macs() const { return sum_over(layers, &LayerSummary::macs, every_row); }
int64_t NetSummary::binary_macs() const { return sum_over(layers, &LayerSummary::macs, binary_row); }
int64_t NetSummary::popcount_macs() const { return sum_over(layers, &LayerSummary::macs, popcount_row); }
int64_t NetSummary::float_bytes() const { return sum_over(layers, &LayerSummary::float_bytes, every_row); }
int64_t NetSummary::packed_bytes() const { return sum_over(layers, &LayerSummary::packed_bytes, every_row); }
double NetSummary::binary_mac_share() const { return macs() > 0 ? 100.0 * double(binary_macs()) / double(macs()) : 0.0; }
double NetSummary::popcount_mac_share() const {
  return macs() > 0 ? 100.0 * double(popcount_macs()) / double(macs()) : 0.0;
}

std::string NetSummary::to_table() const {
  const std::vector<std::string> headers = {"layer", "type", "output shape", "params", "MACs/image",
                                            "w bits", "a bits", "float bytes", "packed bytes"};
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : layers) {
    std::string shapes;
    for (size_t t = 0; t < row.output_shapes.size(); ++t) shapes += (t ? ", " : "") + shape_text(row.output_shapes[t]);
    cells.push_back({row.name, row.type, shapes, grouped(row.params), grouped(row.macs),
                     row.weight_bits ? std::to_string(row.weight_bits) : "-",
                     row.activation_bits ? std::to_string(row.activation_bits) : "-", grouped(row.float_bytes),
                     grouped(row.packed_bytes)});
  }
  std::vector<size_t> width(headers.size());
  for (size_t c = 0; c < headers.size(); ++c) {
    width[c] = headers[c].size();
    for (const auto& line : cells) width[c] = std::max(width[c], line[c].size());
  }
  // Names, types and shapes read left to right; counts line up on their last digit.
  auto put = [&](std::ostream& out, const std::vector<std::string>& line) {
    for (size_t c = 0; c < line.size(); ++c) {
      out << (c ? "  " : "") << (c < 3 ? std::left : std::right) << std::setw(int(width[c])) << line[c];
    }
    out << std::right << "\n";
  };
  std::ostringstream out;
  out << "net \"" << name << "\", " << (phase == TRAIN ? "TRAIN" : "TEST") << " phase, shapes at batch " << batch
      << "; MACs per image\n";
  put(out, headers);
  size_t total_width = 0;
  for (size_t w : width) total_width += w + 2;
  out << std::string(total_width - 2, '-') << "\n";
  for (const auto& line : cells) put(out, line);
  out << std::string(total_width - 2, '-') << "\n";
  const double ratio = packed_bytes() > 0 ? double(float_bytes()) / double(packed_bytes()) : 0.0;
  out << "parameters: " << grouped(params()) << "\n";
  out << "memory: " << grouped(float_bytes()) << " bytes as float32, " << grouped(packed_bytes())
      << " bytes packed (" << std::fixed << std::setprecision(2) << ratio << "x smaller)\n";
  out << "MACs per image: " << grouped(macs()) << "; with 1-bit weights " << grouped(binary_macs()) << " ("
      << percent(binary_mac_share()) << "), of which on quantized inputs (popcount once exported) "
      << grouped(popcount_macs()) << " (" << percent(popcount_mac_share()) << ")\n";
  return out.str();
}

std::string NetSummary::to_json() const {
  std::ostringstream out;
  out << "{\"name\": " << json_string(name) << ", \"phase\": \"" << (phase == TRAIN ? "TRAIN" : "TEST")
      << "\", \"batch\": " << batch << ",\n \"layers\": [";
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerSummary& row = layers[i];
    out << (i ? ",\n  " : "\n  ") << "{\"name\": " << json_string(row.name) << ", \"type\": " << json_string(row.type)
        << ", \"output_shapes\": [";
    for (size_t t = 0; t < row.output_shapes.size(); ++t) {
      out << (t ? ", " : "") << "[";
      for (size_t a = 0; a < row.output_shapes[t].size(); ++a) out << (a ? ", " : "") << row.output_shapes[t][a];
      out << "]";
    }
    out << "], \"params\": " << row.params << ", \"macs\": " << row.macs << ", \"weight_bits\": " << row.weight_bits
        << ", \"activation_bits\": " << row.activation_bits << ", \"float_bytes\": " << row.float_bytes
        << ", \"packed_bytes\": " << row.packed_bytes << ", \"binary_weights\": "
        << (row.binary_weights ? "true" : "false") << ", \"quantized_input\": "
        << (row.quantized_input ? "true" : "false") << "}";
  }
  out << "\n ],\n \"totals\": {\"params\": " << params() << ", \"macs\": " << macs()
      << ", \"binary_macs\": " << binary_macs() << ", \"popcount_macs\": " << popcount_macs()
      << ", \"binary_mac_share\": " << std::setprecision(6) << binary_mac_share()
      << ", \"popcount_mac_share\": " << popcount_mac_share() << ", \"float_bytes\": " << float_bytes()
      << ", \"packed_bytes\": " << packed_bytes() << "}}\n";
  return out.str();
}

}  // namespace hwgq
