#include "commands.hpp"

namespace hwgq::cli {

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      {"device_query", "device_query", "list the GPUs this build can use", device_query},
  };
  return table;
}

}  // namespace hwgq::cli
