#include "hwgq/data/image_list.hpp"

#include <cctype>
#include <sstream>

#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

ImageList read_image_list(const std::string& path) {
  ImageList entries;
  std::istringstream lines(read_file(path));
  std::string line;
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  for (int number = 1; std::getline(lines, line); ++number) {
    while (!line.empty() && space(line.back())) line.pop_back();
    size_t start = 0;
    while (start < line.size() && space(line[start])) ++start;
    if (start == line.size()) continue;
    const size_t split = line.find_last_of(" \t");
    HWGQ_REQUIRE(split != std::string::npos && split > start,
                 path << ":" << number << ": expected \"path label\", got \"" << line << "\"");
    const std::string label_text = line.substr(split + 1);
    size_t parsed = 0;
    int label = 0;
    try {
      label = std::stoi(label_text, &parsed);
    } catch (const std::exception&) {
      parsed = 0;
    }
    HWGQ_REQUIRE(parsed == label_text.size(),
                 path << ":" << number << ": the label \"" << label_text << "\" is not an integer");
    size_t end = split;
    while (end > start && space(line[end - 1])) --end;
    entries.emplace_back(line.substr(start, end - start), label);
  }
  return entries;
}

}  // namespace hwgq
