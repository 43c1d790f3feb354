// Converting protobuf files between their binary and text forms (the work behind
// `hwgq convert`): weights (.caffemodel, NetParameter), mean images and other blobs
// (.binaryproto, BlobProto), solver states (.solverstate, SolverState) and solver
// settings (SolverParameter). Text holds every float to round-trip precision, so
// binary -> text -> binary gives the same bytes.
#pragma once

#include <string>

namespace hwgq {

enum class ProtoForm { Text, Binary };
enum class ProtoKind { Net, Blob, SolverState, Solver };

struct ProtoConversion {
  ProtoKind kind;
  ProtoForm from;
  ProtoForm to;
};

// "net", "blob", "solverstate" or "solver" (the --type values), and the message name.
const char* proto_kind_name(ProtoKind kind);
const char* proto_message_name(ProtoKind kind);

// Works out a conversion from the file names, unless `to` ("text" or "binary") or `type`
// (a proto_kind_name) say it. Binary names: .caffemodel (net), .binaryproto (blob),
// .solverstate (solverstate), .pb, .bin. Text names: .prototxt, .pbtxt, .txt, where a
// kind may stand in front (weights.caffemodel.prototxt is a net). The direction comes
// from the output's name, else from the input's (text in means binary out, and back);
// the kind from the binary file's name, else from the text file's inner extension.
// Raises hwgq::Error saying what to add when the names leave it open.
ProtoConversion plan_proto_conversion(const std::string& input, const std::string& output, const std::string& to,
                                      const std::string& type);

// Reads `input` in conversion.from form and writes `output` (atomically) in
// conversion.to form.
void convert_proto_file(const std::string& input, const std::string& output, const ProtoConversion& conversion);

}  // namespace hwgq
