#include "commands.hpp"

namespace hwgq::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"quantizer", "quantizer [--bits=B | --levels=K] [--method=uniform|lloyd] [--print_param]",
       "HWGQ levels, thresholds and error for the half-wave Gaussian (uniform step or Lloyd-Max)", quantizer},
      {"device_query", "device_query", "list the GPUs this build can use", device_query},
  };
  return table;
}

}  // namespace hwgq::cli
