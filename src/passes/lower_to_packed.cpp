#include "hwgq/passes/lower_to_packed.hpp"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

#include "hwgq/kernels/binary_conv.hpp"
#include "hwgq/layers/binary_convolution_layer.hpp"
#include "hwgq/layers/binary_inner_product_layer.hpp"
#include "hwgq/layers/quant_layer.hpp"
#include "hwgq/util/sum_over.hpp"

namespace hwgq {

namespace {

// The layer that wrote the value layer `reader` reads as bottom `bottom`, looking through
// the Split layers Net inserts where one value has several readers. -1: a net input.
int producer_of(const Net& net, int reader, int bottom) {
  int blob = net.bottom_ids(reader)[bottom];
  for (int j = reader - 1; j >= 0; --j) {
    const auto& tops = net.top_ids(j);
    if (std::find(tops.begin(), tops.end(), blob) == tops.end()) continue;
    if (std::string(net.layers()[j]->type()) != "Split") return j;
    blob = net.bottom_ids(j)[0];
  }
  return -1;
}

// The levels q_1..q_K of the Quant feeding binary layer i (paper 1.2); empty when the input
// does not come from a Quant (a layer on raw pixels keeps a float input). A Quant whose
// output the packed codes cannot represent is an error naming both layers.
std::vector<float> input_levels(const Net& net, int i) {
  const Layer& layer = *net.layers()[i];
  const std::string where = "layer \"" + layer.name() + "\" (" + layer.type() + ")";
  const int producer = producer_of(net, i, 0);
  if (producer < 0) return {};
  const Layer& source = *net.layers()[producer];
  const auto* quant = dynamic_cast<const QuantLayer*>(&source);
  if (!quant) return {};
  HWGQ_REQUIRE(quant->forward_func() == QuantLayer::Forward::kHwgq,
               where << " cannot be packed: Quant \"" << source.name() << "\" has forward_func \""
                     << source.layer_param().quant_param().forward_func() << "\"; packing needs \"hwgq\" levels");
  HWGQ_REQUIRE(source.layer_param().quant_param().negative_slope() == 0.f,
               where << " cannot be packed: Quant \"" << source.name() << "\" maps x <= 0 to "
                     << -source.layer_param().quant_param().negative_slope()
                     << " (negative_slope), but a packed code 0 must be the value 0 that zero padding gives");
  return quant->centers();
}

int64_t weight_float_bytes(const Layer& layer) {
  int64_t bytes = 0;
  for (const auto& blob : layer.blobs()) bytes += int64_t(blob->count()) * 4;
  return bytes;
}

// Multiply-accumulates per image of a layer with weights: each output value of a
// convolution or inner product takes (weights per output channel) of them.
int64_t macs_per_image(const Net& net, int i) {
  const Layer& layer = *net.layers()[i];
  if (layer.blobs().empty() || net.top_vecs(i).empty()) return 0;
  const std::string type = layer.type();
  const bool conv = type.find("Convolution") != std::string::npos;
  const bool ip = type.find("InnerProduct") != std::string::npos;
  if (!conv && !ip) return 0;
  const Blob& weights = *layer.blobs()[0];
  const Blob& top = *net.top_vecs(i)[0];
  const int outputs = weights.shape(0);
  const int64_t per_output = outputs > 0 ? weights.count() / outputs : 0;
  const int num = top.num_axes() > 0 ? top.shape(0) : 1;
  return num > 0 ? int64_t(top.count()) / num * per_output : 0;
}

}  // namespace

PackedBinaryWeightsProto packed_weights_to_proto(const kernels::PackedBinaryWeights& w, const std::string& layer) {
  PackedBinaryWeightsProto proto;
  proto.set_layer(layer);
  proto.set_out_channels(w.out_channels);
  proto.set_in_channels(w.in_channels);
  proto.set_kernel_h(w.kernel_h);
  proto.set_kernel_w(w.kernel_w);
  proto.set_groups(w.groups);
  proto.set_words_per_position(w.words_per_position);
  for (float a : w.alpha) proto.add_alpha(a);
  std::string bits(w.bits.size() * 8, '\0');
  for (size_t i = 0; i < w.bits.size(); ++i) {
    for (int b = 0; b < 8; ++b) bits[i * 8 + b] = static_cast<char>((w.bits[i] >> (8 * b)) & 0xff);
  }
  proto.set_sign_bits(bits);
  return proto;
}

kernels::PackedBinaryWeights packed_weights_from_proto(const PackedBinaryWeightsProto& p, const std::string& origin) {
  const std::string where = origin + ": packed weights of layer \"" + p.layer() + "\"";
  HWGQ_REQUIRE(p.out_channels() > 0 && p.in_channels() > 0 && p.kernel_h() > 0 && p.kernel_w() > 0 &&
                   p.groups() > 0 && p.words_per_position() > 0,
               where << " have a non-positive dimension (" << p.out_channels() << " x " << p.in_channels() << " x "
                     << p.kernel_h() << " x " << p.kernel_w() << ", groups " << p.groups() << ", "
                     << p.words_per_position() << " words per position)");
  HWGQ_REQUIRE(int64_t(p.words_per_position()) * 64 >= p.in_channels() &&
                   int64_t(p.words_per_position() - 1) * 64 < p.in_channels(),
               where << ": " << p.words_per_position() << " words per position do not fit " << p.in_channels()
                     << " input channels");
  HWGQ_REQUIRE(p.out_channels() % p.groups() == 0,
               where << ": " << p.out_channels() << " output channels do not split into " << p.groups() << " groups");
  HWGQ_REQUIRE(p.alpha_size() == p.out_channels(),
               where << " hold " << p.alpha_size() << " alpha values for " << p.out_channels() << " output channels");
  kernels::PackedBinaryWeights w;
  w.out_channels = p.out_channels();
  w.in_channels = p.in_channels();
  w.kernel_h = p.kernel_h();
  w.kernel_w = p.kernel_w();
  w.groups = p.groups();
  w.words_per_position = p.words_per_position();
  w.alpha.assign(p.alpha().begin(), p.alpha().end());
  for (float a : w.alpha) HWGQ_REQUIRE(std::isfinite(a), where << " hold a non-finite alpha " << a);
  const size_t words = w.expected_words();
  HWGQ_REQUIRE(p.sign_bits().size() == words * 8,
               where << " hold " << p.sign_bits().size() << " bytes of sign bits, the dimensions need " << words * 8);
  w.bits.resize(words);
  const std::string& bits = p.sign_bits();
  for (size_t i = 0; i < words; ++i) {
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) v |= uint64_t(static_cast<unsigned char>(bits[i * 8 + b])) << (8 * b);
    w.bits[i] = v;
  }
  w.check();
  return w;
}

void expand_binary_weights(const kernels::PackedBinaryWeights& w, float* out) {
  const int per_group = w.in_channels;
  for (int o = 0; o < w.out_channels; ++o) {
    for (int c = 0; c < per_group; ++c) {
      for (int ky = 0; ky < w.kernel_h; ++ky) {
        for (int kx = 0; kx < w.kernel_w; ++kx) {
          const float a = w.alpha[o];
          out[((size_t(o) * per_group + c) * w.kernel_h + ky) * w.kernel_w + kx] = w.positive(o, c, ky, kx) ? a : -a;
        }
      }
    }
  }
}

PackedModelProto lower_to_packed(const NetParameter& deploy, Net& trained, PackedModelReport* report) {
  HWGQ_REQUIRE(trained.phase() == TEST, "lowering to packed layers needs a TEST-phase net");
  PackedModelProto model;
  NetParameter weights;
  trained.to_proto(&weights);
  std::map<std::string, const LayerParameter*> trained_layers;
  for (const auto& layer : weights.layer()) trained_layers[layer.name()] = &layer;

  // Decide, per trained layer, whether it packs.
  std::map<std::string, std::vector<float>> levels_of;
  std::map<std::string, kernels::PackedBinaryWeights> packed_of;
  // Binary layers on float inputs whose weights are stored as alpha * sign floats.
  std::map<std::string, kernels::PackedBinaryWeights> expanded_of;
  for (int i = 0; i < static_cast<int>(trained.layers().size()); ++i) {
    Layer& layer = *trained.layers()[i];
    const std::string type = layer.type();
    PackedLayerReport row;
    row.name = layer.name();
    row.type = type;
    row.float_bytes = weight_float_bytes(layer);
    row.stored_bytes = row.float_bytes;
    row.macs = macs_per_image(trained, i);
    if (type == "BinaryConvolution" || type == "BinaryInnerProduct") {
      const bool conv = type == "BinaryConvolution";
      bool binarized, use_alpha;
      if (conv) {
        auto& binary = dynamic_cast<BinaryConvolutionLayer&>(layer);
        binarized = binary.use_binarization();
        use_alpha = binary.use_alpha();
      } else {
        auto& binary = dynamic_cast<BinaryInnerProductLayer&>(layer);
        binarized = binary.use_binarization();
        use_alpha = binary.use_alpha();
        HWGQ_REQUIRE(!layer.layer_param().inner_product_param().transpose(),
                     "layer \"" << layer.name() << "\" (" << type
                                << ") cannot be packed: transposed inner product weights are not supported");
      }
      if (binarized) {
        levels_of[layer.name()] = input_levels(trained, i);
        const Blob& w = *layer.blobs()[0];
        kernels::PackedBinaryWeights packed;
        if (conv) {
          const auto& cp = layer.layer_param().convolution_param();
          const int groups = std::max<int>(1, cp.group());
          HWGQ_REQUIRE(w.num_axes() == 4, "layer \"" << layer.name() << "\": 2-D convolution weights expected, got "
                                                     << w.shape_string());
          packed = kernels::pack_binary_weights(w.cpu_data(), w.shape(0), w.shape(1), w.shape(2), w.shape(3), groups,
                                                use_alpha);
        } else {
          packed = kernels::pack_binary_weights(w.cpu_data(), w.shape(0), w.count() / w.shape(0), 1, 1, 1, use_alpha);
        }
        const bool quantized_input = !levels_of[layer.name()].empty();
        const int64_t bits_bytes = int64_t(packed.bits.size()) * 8 + int64_t(packed.alpha.size()) * 4;
        int64_t bias_bytes = 0;
        for (size_t b = 1; b < layer.blobs().size(); ++b) bias_bytes += int64_t(layer.blobs()[b]->count()) * 4;
        if (!quantized_input && bits_bytes >= int64_t(w.count()) * 4) {
          // Few input channels (e.g. one gray channel): a 64-bit word per kernel tap holds
          // mostly padding, so the alpha * sign weights are smaller stored as floats.
          row.type = conv ? "Convolution (binarized)" : "InnerProduct (binarized)";
          expanded_of[layer.name()] = std::move(packed);
        } else {
          row.type = quantized_input ? (conv ? "PackedBinaryConvolution" : "PackedBinaryInnerProduct")
                                     : (conv ? "Convolution (1-bit weights)" : "InnerProduct (1-bit weights)");
          row.packed = true;
          row.popcount = quantized_input;
          row.stored_bytes = bits_bytes + bias_bytes;
          packed_of[layer.name()] = std::move(packed);
        }
      }
    }
    if (report && (row.float_bytes > 0 || row.macs > 0)) report->layers.push_back(row);
  }

  // The lowered prototxt: the deploy net, layer for layer, with packed types and levels,
  // and the float weights of every layer that keeps them.
  NetParameter* net = model.mutable_net();
  *net = deploy;
  for (auto& layer : *net->mutable_layer()) {
    layer.clear_blobs();
    auto trained_layer = trained_layers.find(layer.name());
    auto packed = packed_of.find(layer.name());
    auto expanded = expanded_of.find(layer.name());
    if (expanded != expanded_of.end()) {
      const kernels::PackedBinaryWeights& w = expanded->second;
      layer.set_type(layer.type() == "BinaryConvolution" ? "Convolution" : "InnerProduct");
      layer.clear_binary_convolution_param();
      layer.clear_binary_inner_product_param();
      BlobProto weights = trained_layer->second->blobs(0);
      weights.clear_data();
      std::vector<float> values(size_t(w.out_channels) * w.in_channels * w.kernel_h * w.kernel_w);
      expand_binary_weights(w, values.data());
      *weights.mutable_data() = {values.begin(), values.end()};
      *layer.add_blobs() = weights;
      for (int b = 1; b < trained_layer->second->blobs_size(); ++b) *layer.add_blobs() = trained_layer->second->blobs(b);
      continue;
    }
    if (packed == packed_of.end()) {
      if (trained_layer != trained_layers.end()) {
        for (const auto& blob : trained_layer->second->blobs()) *layer.add_blobs() = blob;
      }
      continue;
    }
    const bool conv = layer.type() == "BinaryConvolution";
    const std::vector<float>& levels = levels_of[layer.name()];
    PackedBinaryWeightsProto proto = packed_weights_to_proto(packed->second, layer.name());
    if (levels.empty()) {
      // A float input: a plain layer whose alpha * sign weights the runtime expands at load.
      layer.set_type(conv ? "Convolution" : "InnerProduct");
      layer.clear_binary_convolution_param();
      layer.clear_binary_inner_product_param();
      proto.set_float_input(true);
    } else {
      layer.set_type(conv ? "PackedBinaryConvolution" : "PackedBinaryInnerProduct");
      // Learning-rate specs name the real weights, which a packed layer no longer has.
      layer.clear_param();
      QuantParameter* quant = layer.mutable_quant_param();
      quant->Clear();
      for (float q : levels) quant->add_centers(q);
    }
    // Blob 0 (the real weights) is replaced by the packed form; a bias stays float.
    for (int b = 1; b < trained_layer->second->blobs_size(); ++b) *layer.add_blobs() = trained_layer->second->blobs(b);
    *model.add_packed() = proto;
  }
  HWGQ_REQUIRE(static_cast<size_t>(model.packed_size()) == packed_of.size(),
               "lowering: " << packed_of.size() << " layers packed but only " << model.packed_size()
                            << " found by name in the deploy prototxt");
  return model;
}

namespace {

bool every_row(const PackedLayerReport&) { return true; }
bool packed_row(const PackedLayerReport& row) { return row.packed; }
bool popcount_row(const PackedLayerReport& row) { return row.popcount; }

}  // namespace

int64_t PackedModelReport::float_bytes() const { return sum_over(layers, &PackedLayerReport::float_bytes, every_row); }
int64_t PackedModelReport::stored_bytes() const { return sum_over(layers, &PackedLayerReport::stored_bytes, every_row); }
int64_t PackedModelReport::macs() const { return sum_over(layers, &PackedLayerReport::macs, every_row); }
int64_t PackedModelReport::packed_macs() const { return sum_over(layers, &PackedLayerReport::macs, popcount_row); }
int64_t PackedModelReport::packed_float_bytes() const {
  return sum_over(layers, &PackedLayerReport::float_bytes, packed_row);
}
int64_t PackedModelReport::packed_stored_bytes() const {
  return sum_over(layers, &PackedLayerReport::stored_bytes, packed_row);
}
int PackedModelReport::packed_layers() const {
  int n = 0;
  for (const auto& r : layers) n += r.packed;
  return n;
}

std::string PackedModelReport::to_text() const {
  std::ostringstream out;
  const auto ratio = [](int64_t a, int64_t b) {
    std::ostringstream r;
    r << std::fixed << std::setprecision(1) << (b > 0 ? double(a) / double(b) : 0.0) << "x";
    return r.str();
  };
  out << std::left << std::setw(24) << "layer" << std::setw(26) << "type" << std::right << std::setw(14)
      << "float bytes" << std::setw(14) << "stored bytes" << std::setw(9) << "ratio" << std::setw(16) << "MACs/image"
      << "\n";
  for (const auto& r : layers) {
    out << std::left << std::setw(24) << r.name << std::setw(26) << r.type << std::right << std::setw(14)
        << r.float_bytes << std::setw(14) << r.stored_bytes << std::setw(9) << ratio(r.float_bytes, r.stored_bytes)
        << std::setw(16) << r.macs << "\n";
  }
  out << "total: " << float_bytes() << " float bytes -> " << stored_bytes() << " stored ("
      << ratio(float_bytes(), stored_bytes()) << ")\n";
  out << "packed layers: " << packed_layers() << ", weights " << packed_float_bytes() << " float bytes -> "
      << packed_stored_bytes() << " packed (" << ratio(packed_float_bytes(), packed_stored_bytes()) << ")\n";
  const double share = macs() > 0 ? 100.0 * double(packed_macs()) / double(macs()) : 0.0;
  out << "MACs per image: " << macs() << ", on packed bits (popcount) " << packed_macs() << " (" << std::fixed
      << std::setprecision(1) << share << "%)\n";
  return out.str();
}

}  // namespace hwgq
