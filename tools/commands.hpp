// The verbs of the hwgq command-line tool. Each lives in tools/<verb>.cpp, reads its
// options from the gflags in tools/flags.hpp, and returns the process exit code. User
// mistakes raise hwgq::Error, which main() prints on one line.
#pragma once

#include <string>
#include <vector>

namespace hwgq::cli {

struct Command {
  const char* name;
  const char* usage;    // e.g. "train --solver=S [--weights=W | --snapshot=X]"
  const char* summary;  // one line
  int (*run)(const std::vector<std::string>& args);
};

// Every verb, in the order `hwgq help` lists them (tools/command_table.cpp).
const std::vector<Command>& command_table();

int train(const std::vector<std::string>& args);
int test(const std::vector<std::string>& args);
int time(const std::vector<std::string>& args);
int device_query(const std::vector<std::string>& args);
int convert_imageset(const std::vector<std::string>& args);
int compute_image_mean(const std::vector<std::string>& args);

}  // namespace hwgq::cli
