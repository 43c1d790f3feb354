#include <iostream>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/proto_convert.hpp"

DEFINE_string(input, "", "convert: the file to read");
DEFINE_string(to, "", "convert: text or binary (default: from the file names)");
DEFINE_string(type, "", "convert: net, blob, solverstate or solver (default: from the file names)");

namespace hwgq::cli {

int convert(const std::vector<std::string>& args) {
  HWGQ_REQUIRE(args.empty(), "convert takes no positional arguments (got \"" << args[0]
                                 << "\"); usage: hwgq convert --input=X --output=Y [--to=text|binary] "
                                    "[--type=net|blob|solverstate|solver]");
  const ProtoConversion plan = plan_proto_conversion(FLAGS_input, FLAGS_output, FLAGS_to, FLAGS_type);
  convert_proto_file(FLAGS_input, FLAGS_output, plan);
  std::cout << "wrote " << FLAGS_output << ": " << proto_message_name(plan.kind) << " as "
            << (plan.to == ProtoForm::Text ? "text" : "binary") << " from " << FLAGS_input << std::endl;
  return 0;
}

}  // namespace hwgq::cli
