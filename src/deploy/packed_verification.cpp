#include "hwgq/deploy/packed_verification.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace hwgq {

namespace {

int arg_max(const float* x, int n) { return static_cast<int>(std::max_element(x, x + n) - x); }

}  // namespace

PackedVerification verify_packed(Net& float_net, PackedRuntime& runtime, const std::string& data_blob,
                                 const std::string& label_blob, int iterations) {
  HWGQ_REQUIRE(iterations > 0, "verification needs at least one batch, got " << iterations);
  Net& packed_net = runtime.net();
  const std::string output_name = packed_net.output_blob_names().back();
  Blob& float_data = *float_net.blob_by_name(data_blob);
  Blob& packed_input = runtime.input();
  HWGQ_REQUIRE(float_data.shape() == packed_input.shape(),
               "verification: the float net's \"" << data_blob << "\" is " << float_data.shape_string()
                                                  << ", the packed model's input " << packed_input.shape_string());
  PackedVerification result;
  std::vector<int> quant_layers;
  for (int i = 0; i < static_cast<int>(packed_net.layers().size()); ++i) {
    if (std::string(packed_net.layers()[i]->type()) != "Quant") continue;
    quant_layers.push_back(i);
    result.flips.push_back({packed_net.layer_names()[i], 0, 0});
  }
  for (int it = 0; it < iterations; ++it) {
    float_net.forward();
    std::copy_n(float_data.cpu_data(), float_data.count(), packed_input.mutable_cpu_data());
    runtime.forward();
    const Blob& a = *float_net.blob_by_name(output_name);
    const Blob& b = *packed_net.blob_by_name(output_name);
    HWGQ_REQUIRE(a.count() == b.count(), "verification: output \"" << output_name << "\" is " << a.shape_string()
                                                                   << " in the float net, " << b.shape_string()
                                                                   << " in the packed one");
    const int num = a.shape(0);
    const int classes = a.count() / num;
    // Which images had a differing Quant output (the flips are per value, N-major).
    std::vector<bool> flipped(num, false);
    for (size_t q = 0; q < quant_layers.size(); ++q) {
      const Blob& fq = *float_net.blob_by_name(packed_net.blob_names()[packed_net.top_ids(quant_layers[q])[0]]);
      const Blob& pq = *packed_net.top_vecs(quant_layers[q])[0];
      HWGQ_REQUIRE(fq.count() == pq.count(), "verification: Quant \"" << result.flips[q].layer
                                                                      << "\" output sizes differ");
      const int per = pq.count() / num;
      for (int n = 0; n < num; ++n) {
        for (int k = 0; k < per; ++k) {
          const size_t index = size_t(n) * per + k;
          const bool differ = !(fq.cpu_data()[index] == pq.cpu_data()[index]);
          result.flips[q].differ += differ;
          flipped[n] = flipped[n] || differ;
        }
      }
      result.flips[q].values += pq.count();
    }
    const float* labels = label_blob.empty() ? nullptr : float_net.blob_by_name(label_blob)->cpu_data();
    for (int n = 0; n < num; ++n) {
      const float* x = a.cpu_data() + size_t(n) * classes;
      const float* y = b.cpu_data() + size_t(n) * classes;
      for (int k = 0; k < classes; ++k) {
        result.max_output_difference = std::max(result.max_output_difference, std::fabs(x[k] - y[k]));
      }
      const int pa = arg_max(x, classes), pb = arg_max(y, classes);
      ++result.images;
      result.same_prediction += pa == pb;
      result.differing_without_flip += pa != pb && !flipped[n];
      if (labels) {
        // As the Accuracy layer counts top-1: no class scores strictly higher than the label.
        const int label = static_cast<int>(labels[n]);
        HWGQ_REQUIRE(label >= 0 && label < classes, "verification: label " << label << " outside the "
                                                                           << classes << " classes");
        ++result.labelled;
        const auto correct = [&](const float* s) {
          if (std::isnan(s[label])) return false;
          for (int k = 0; k < classes; ++k) {
            if (s[k] > s[label]) return false;
          }
          return true;
        };
        result.float_correct += correct(x);
        result.packed_correct += correct(y);
      }
    }
  }
  return result;
}

std::string PackedVerification::to_text() const {
  std::ostringstream out;
  out << "verified on " << images << " images: " << same_prediction << " same top-1 class, "
      << images - same_prediction << " different (" << differing_without_flip
      << " of them without a differing Quant output)\n";
  if (labelled > 0) {
    out << std::fixed << std::setprecision(4) << "top-1 accuracy: float " << double(float_correct) / labelled
        << ", packed " << double(packed_correct) / labelled << "\n";
    out.unsetf(std::ios::fixed);
  }
  out << "max |float - packed| output: " << max_output_difference << "\n";
  for (const auto& f : flips) {
    out << "  Quant \"" << f.layer << "\": " << f.differ << " of " << f.values << " outputs differ\n";
  }
  return out.str();
}

}  // namespace hwgq
