#include "hwgq/util/proto_convert.hpp"

#include <cctype>
#include <memory>
#include <optional>

#include "hwgq/common.hpp"
#include "hwgq/proto/hwgq.pb.h"
#include "hwgq/util/io.hpp"

namespace hwgq {

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

const char* const kTextExtensions[] = {".prototxt", ".pbtxt", ".txt"};

// The file name without a text extension, or nullopt when it has none.
std::optional<std::string> strip_text_extension(const std::string& path) {
  const std::string name = lower(path);
  for (const char* extension : kTextExtensions) {
    if (ends_with(name, extension)) return name.substr(0, name.size() - std::string(extension).size());
  }
  return std::nullopt;
}

// The kind a (lower-case) name ends in, if any.
std::optional<ProtoKind> kind_of_name(const std::string& name) {
  if (ends_with(name, ".caffemodel")) return ProtoKind::Net;
  if (ends_with(name, ".binaryproto")) return ProtoKind::Blob;
  if (ends_with(name, ".solverstate")) return ProtoKind::SolverState;
  return std::nullopt;
}

std::optional<ProtoForm> form_of_name(const std::string& path) {
  if (strip_text_extension(path)) return ProtoForm::Text;
  const std::string name = lower(path);
  if (kind_of_name(name) || ends_with(name, ".pb") || ends_with(name, ".bin")) return ProtoForm::Binary;
  return std::nullopt;
}

std::optional<ProtoKind> kind_of_path(const std::string& path) {
  if (auto inner = strip_text_extension(path)) return kind_of_name(*inner);
  return kind_of_name(lower(path));
}

std::unique_ptr<google::protobuf::Message> new_message(ProtoKind kind) {
  switch (kind) {
    case ProtoKind::Net:
      return std::make_unique<NetParameter>();
    case ProtoKind::Blob:
      return std::make_unique<BlobProto>();
    case ProtoKind::SolverState:
      return std::make_unique<SolverState>();
    case ProtoKind::Solver:
      return std::make_unique<SolverParameter>();
  }
  HWGQ_FAIL("unknown proto kind");
}

}  // namespace

const char* proto_kind_name(ProtoKind kind) {
  switch (kind) {
    case ProtoKind::Net:
      return "net";
    case ProtoKind::Blob:
      return "blob";
    case ProtoKind::SolverState:
      return "solverstate";
    case ProtoKind::Solver:
      return "solver";
  }
  return "?";
}

const char* proto_message_name(ProtoKind kind) {
  switch (kind) {
    case ProtoKind::Net:
      return "NetParameter";
    case ProtoKind::Blob:
      return "BlobProto";
    case ProtoKind::SolverState:
      return "SolverState";
    case ProtoKind::Solver:
      return "SolverParameter";
  }
  return "?";
}

ProtoConversion plan_proto_conversion(const std::string& input, const std::string& output, const std::string& to,
                                      const std::string& type) {
  HWGQ_REQUIRE(!input.empty() && !output.empty(), "convert needs --input=FILE and --output=FILE");
  HWGQ_REQUIRE(input != output, "--input and --output are the same file (" << input << ")");
  ProtoConversion plan{};

  if (!to.empty()) {
    HWGQ_REQUIRE(to == "text" || to == "binary", "--to must be text or binary, got \"" << to << "\"");
    plan.to = to == "text" ? ProtoForm::Text : ProtoForm::Binary;
  } else if (auto form = form_of_name(output)) {
    plan.to = *form;
  } else if (auto form = form_of_name(input)) {
    plan.to = *form == ProtoForm::Text ? ProtoForm::Binary : ProtoForm::Text;
  } else {
    HWGQ_FAIL("cannot tell the direction from " << input << " and " << output
                                                << ": name one .prototxt/.txt or .caffemodel/.binaryproto/"
                                                   ".solverstate, or give --to=text|binary");
  }
  plan.from = plan.to == ProtoForm::Text ? ProtoForm::Binary : ProtoForm::Text;

  if (!type.empty()) {
    bool known = false;
    for (ProtoKind kind : {ProtoKind::Net, ProtoKind::Blob, ProtoKind::SolverState, ProtoKind::Solver}) {
      if (type == proto_kind_name(kind)) {
        plan.kind = kind;
        known = true;
      }
    }
    HWGQ_REQUIRE(known, "--type must be net, blob, solverstate or solver, got \"" << type << "\"");
    return plan;
  }
  // The binary side's name is the surer guide: text names are usually plain .prototxt.
  const std::string& binary_side = plan.from == ProtoForm::Binary ? input : output;
  const std::string& text_side = plan.from == ProtoForm::Binary ? output : input;
  if (auto kind = kind_of_path(binary_side)) {
    plan.kind = *kind;
  } else if (auto kind = kind_of_path(text_side)) {
    plan.kind = *kind;
  } else {
    HWGQ_FAIL("cannot tell what " << input << " holds: name the binary file .caffemodel (weights), "
                                  << ".binaryproto (a blob) or .solverstate, or give "
                                     "--type=net|blob|solverstate|solver");
  }
  return plan;
}

void convert_proto_file(const std::string& input, const std::string& output, const ProtoConversion& conversion) {
  auto message = new_message(conversion.kind);
  if (conversion.from == ProtoForm::Binary) {
    read_binary_proto(input, message.get());
  } else {
    read_text_proto(input, message.get());
  }
  if (conversion.to == ProtoForm::Binary) {
    write_binary_proto(*message, output);
  } else {
    write_text_proto(*message, output);
  }
}

}  // namespace hwgq
