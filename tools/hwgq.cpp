// hwgq: train, evaluate, time, design quantizers for and deploy low-precision networks.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "flags.hpp"
#include "hwgq/common.hpp"
#include "hwgq/util/thread_wait_policy.hpp"
#ifdef HWGQ_WITH_PYTHON
#include "python_layer.hpp"
#endif

namespace {

std::string usage_text() {
  std::string text = "usage: hwgq <command> [flags]\n\ncommands:\n";
  for (const auto& command : hwgq::cli::command_table()) {
    text += "  " + std::string(command.usage) + "\n      " + command.summary + "\n";
  }
  text += "  help\n      this text; `hwgq <command> --help` lists every flag\n";
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything loads work onto OpenMP threads (see the header for why a restart).
  hwgq::restart_with_thread_wait_policy(argv);
  FLAGS_logtostderr = true;
  FLAGS_colorlogtostderr = false;
  gflags::SetUsageMessage(usage_text());
  gflags::SetVersionString("0.1.0");
  // gflags' own --help handling exits with status 1 and lists every library's flags; asking
  // for help is not an error, so --help is answered here (status 0) with the tool's flags.
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, true);
  std::string help;
  const bool help_asked = (gflags::GetCommandLineOption("help", &help) && help == "true") ||
                          (gflags::GetCommandLineOption("helpshort", &help) && help == "true");
  if (!help_asked) gflags::HandleCommandLineHelpFlags();  // --version and the like
  google::InitGoogleLogging(argv[0]);
#ifdef HWGQ_WITH_PYTHON
  // Only the type is registered here; the interpreter starts with the first Python layer.
  hwgq::python::register_python_layer();
#endif

  if (help_asked) {
    for (const auto& command : hwgq::cli::command_table()) {
      if (argc >= 2 && std::string(argv[1]) == command.name) {
        std::cout << "usage: hwgq " << command.usage << "\n  " << command.summary << "\n\nflags:\n"
                  << hwgq::cli::flags_help();
        return 0;
      }
    }
    std::cout << usage_text() << "\nflags:\n" << hwgq::cli::flags_help();
    return 0;
  }
  if (argc < 2 || std::string(argv[1]) == "help") {
    std::cout << usage_text();
    return argc < 2 ? 1 : 0;
  }
  const std::string verb = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& command : hwgq::cli::command_table()) {
    if (verb != command.name) continue;
    try {
      hwgq::cli::validate_flags(verb, args);
      return command.run(args);
    } catch (const hwgq::Error& error) {
      std::cerr << "hwgq " << verb << ": error: " << error.what() << std::endl;
      return 1;
    } catch (const std::bad_alloc&) {
      std::cerr << "hwgq " << verb << ": error: out of memory" << std::endl;
      return 1;
    }
  }
  std::cerr << "hwgq: unknown command \"" << verb << "\"\n\n" << usage_text();
  return 1;
}
