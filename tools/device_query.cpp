#include <iostream>

#include "commands.hpp"
#include "hwgq/util/device_memory.hpp"

namespace hwgq::cli {

int device_query(const std::vector<std::string>& args) {
  std::cout << describe_devices();
  return 0;
}

}  // namespace hwgq::cli
