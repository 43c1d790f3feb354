#include "hwgq/analysis/histogram_svg.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <cstring>

#include "hwgq/common.hpp"
#include "hwgq/quant/quantizer_design.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {
namespace {

// ( name="value")* with optional spaces, values free of '<' and of their own quote.
bool attributes_ok(const std::string& a) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < a.size() && std::isspace(static_cast<unsigned char>(a[i]))) ++i;
  };
  for (;;) {
    skip_space();
    if (i == a.size()) return true;
    const size_t name_start = i;
    while (i < a.size() && (std::isalnum(static_cast<unsigned char>(a[i])) || std::strchr("-_:.", a[i]))) ++i;
    if (i == name_start) return false;
    skip_space();
    if (i == a.size() || a[i] != '=') return false;
    ++i;
    skip_space();
    if (i == a.size() || (a[i] != '"' && a[i] != '\'')) return false;
    const char quote = a[i++];
    const size_t close = a.find(quote, i);
    if (close == std::string::npos || a.find('<', i) < close) return false;
    i = close + 1;
    if (i < a.size() && !std::isspace(static_cast<unsigned char>(a[i]))) return false;
  }
}

// Returns the number in attribute `name` of the first element that contains `marker`.
double attribute_after(const std::string& doc, const std::string& marker, const std::string& name) {
  const size_t at = doc.find(marker);
  if (at == std::string::npos) return NAN;
  const size_t attr = doc.find(" " + name + "=\"", at);
  if (attr == std::string::npos) return NAN;
  return std::stod(doc.substr(attr + name.size() + 3));
}

// A small XML check: one root, every tag closed in order, attributes quoted, only the
// five predefined entities (or numeric ones) used. Returns "" when well formed.
std::string xml_problem(const std::string& doc) {
  size_t i = 0;
  if (doc.compare(0, 5, "<?xml") == 0) {
    i = doc.find("?>");
    if (i == std::string::npos) return "unterminated declaration";
    i += 2;
  }
  std::vector<std::string> open;
  int roots = 0;
  while (i < doc.size()) {
    if (doc[i] == '<') {
      const size_t end = doc.find('>', i);
      if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
      std::string tag = doc.substr(i + 1, end - i - 1);
      i = end + 1;
      if (!tag.empty() && tag[0] == '/') {
        const std::string name = tag.substr(1);
        if (open.empty() || open.back() != name) return "unexpected </" + name + ">";
        open.pop_back();
        continue;
      }
      const bool self_closing = !tag.empty() && tag.back() == '/';
      if (self_closing) tag.pop_back();
      const size_t name_end = tag.find_first_of(" \t\n");
      const std::string name = tag.substr(0, name_end);
      if (name.empty()) return "empty tag name";
      const std::string attributes = name_end == std::string::npos ? "" : tag.substr(name_end);
      if (!attributes_ok(attributes)) return "bad attributes in <" + name + ">: " + attributes;
      if (open.empty()) ++roots;
      if (!self_closing) open.push_back(name);
    } else if (doc[i] == '&') {
      const size_t end = doc.find(';', i);
      if (end == std::string::npos) return "unterminated entity";
      const std::string entity = doc.substr(i + 1, end - i - 1);
      if (entity != "amp" && entity != "lt" && entity != "gt" && entity != "quot" && entity != "apos" &&
          entity[0] != '#') {
        return "unknown entity &" + entity + ";";
      }
      i = end + 1;
    } else {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(doc[i]))) return "text outside the root";
      ++i;
    }
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

int occurrences(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++count;
  return count;
}

std::vector<float> gaussian_sample(int n) {
  std::mt19937 gen(5);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> s(n);
  for (auto& v : s) v = dist(gen);
  return s;
}

TEST(HistogramSvg, WellFormedWithEveryElement) {
  const std::vector<float> samples = gaussian_sample(20000);
  const QuantizerDesign d = optimal_uniform_half_gaussian(3);
  const std::string svg = histogram_svg(samples, d.levels, d.thresholds, "conv2 input <BN> & \"Quant\"");
  EXPECT_EQ(xml_problem(svg), "") << svg.substr(0, 2000);
  EXPECT_EQ(svg.rfind("</svg>\n"), svg.size() - 7);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("conv2 input &lt;BN&gt; &amp; &quot;Quant&quot;"), std::string::npos);
  EXPECT_EQ(occurrences(svg, "class=\"level\""), 3);
  EXPECT_EQ(occurrences(svg, "class=\"threshold\""), 3);  // t_1 = 0 included
  EXPECT_EQ(occurrences(svg, "class=\"reference\""), 1);
  EXPECT_EQ(occurrences(svg, "class=\"mass-gaussian\""), 1);
  EXPECT_EQ(occurrences(svg, "class=\"mass-sample\""), 1);
  EXPECT_EQ(occurrences(svg, "class=\"legend\""), 1);
  const int bins = occurrences(svg, "class=\"bin\"");
  EXPECT_GT(bins, 40);
  EXPECT_LE(bins, HistogramSvgOptions().bins);
  EXPECT_NE(svg.find("q1=0.5388"), std::string::npos);
  EXPECT_NE(svg.find("t2=0.8082"), std::string::npos);
  EXPECT_NE(svg.find("N = 20000"), std::string::npos);
}

TEST(HistogramSvg, HistogramFollowsTheDensity) {
  // The tallest bin is the first one, at about phi(0) = 0.399; read its height back from
  // the y coordinates against the stem of height 0.5.
  const std::vector<float> samples = gaussian_sample(50000);
  HistogramSvgOptions options;
  options.bins = 20;
  options.x_max = 4;
  const std::string svg = histogram_svg(samples, {}, {}, "t", options);
  EXPECT_EQ(xml_problem(svg), "");
  const double first_height = attribute_after(svg, "class=\"bin\"", "height");
  const double half_height =
      attribute_after(svg, "class=\"mass-gaussian\"", "y1") - attribute_after(svg, "class=\"mass-gaussian\"", "y2");
  // Bin (0, 0.2] has mean density (Phi(0.2) - 0.5) / 0.2 = 0.3963.
  EXPECT_NEAR(first_height / half_height * 0.5, (normal_cdf(0.2) - 0.5) / 0.2, 0.02);
  EXPECT_EQ(occurrences(svg, "class=\"level\""), 0);
}

TEST(HistogramSvg, OutliersAreCountedNotDrawn) {
  std::vector<float> samples = gaussian_sample(1000);
  samples.push_back(1000.f);
  HistogramSvgOptions options;
  options.x_max = 5;
  const std::string svg = histogram_svg(samples, {0.5, 1.0}, {0.0, 0.75}, "outliers", options);
  EXPECT_EQ(xml_problem(svg), "");
  EXPECT_NE(svg.find("1 beyond x = 5 not drawn"), std::string::npos);
}

TEST(HistogramSvg, WritesAFileAndRejectsBadInput) {
  const std::string path = ::testing::TempDir() + "hwgq_histogram_test.svg";
  write_histogram_svg(path, gaussian_sample(500), {0.8}, {0.0}, "file");
  const std::string text = read_file(path);
  EXPECT_EQ(xml_problem(text), "");
  EXPECT_EQ(occurrences(text, "class=\"level\""), 1);
  std::remove(path.c_str());
  EXPECT_THROW(histogram_svg({1.f, NAN}, {}, {}, "nan"), Error);
  HistogramSvgOptions no_bins;
  no_bins.bins = 0;
  EXPECT_THROW(histogram_svg({1.f}, {}, {}, "x", no_bins), Error);
  EXPECT_THROW(write_histogram_svg("/nonexistent-dir/x.svg", {1.f}, {}, {}, "x"), Error);
  // No samples still gives a valid (empty) plot.
  EXPECT_EQ(xml_problem(histogram_svg({}, {}, {}, "empty")), "");
}

}  // namespace
}  // namespace hwgq
