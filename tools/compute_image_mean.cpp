#include <iostream>

#include "commands.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/image_mean.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::cli {

int compute_image_mean(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(args.size() == 1 || args.size() == 2, "usage: hwgq compute_image_mean DB [OUTPUT.binaryproto]");
  const ImageMean mean = ::hwgq::compute_image_mean(args[0]);
  if (args.size() == 2) write_binary_proto(mean.mean, args[1]);
  std::cout << "mean of " << mean.count << " images";
  if (mean.skipped) std::cout << " (skipped " << mean.skipped << " unreadable)";
  std::cout << ", per channel:";
  for (double value : mean.channel_means) std::cout << " " << value;
  std::cout << std::endl;
  if (args.size() == 2) std::cout << "wrote " << args[1] << std::endl;
  return 0;
}

}  // namespace hwgq::cli
