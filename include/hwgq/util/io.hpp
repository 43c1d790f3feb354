// Reading and writing protobuf files: text (prototxt) and binary (caffemodel,
// solverstate, binaryproto). Every failure raises hwgq::Error naming the path.
#pragma once

#include <string>

#include <google/protobuf/message.h>

namespace hwgq {

// Parses a text-format file. A syntax error names file, line and column:
// "net.prototxt:12:5: Expected identifier, got: }".
void read_text_proto(const std::string& path, google::protobuf::Message* message);
// Parses text held in memory; `origin` stands in for the path in error messages.
void parse_text_proto(const std::string& text, const std::string& origin, google::protobuf::Message* message);
void write_text_proto(const google::protobuf::Message& message, const std::string& path);

// Parses a binary file; a missing, unreadable or truncated file names the path.
void read_binary_proto(const std::string& path, google::protobuf::Message* message);
// Writes to `path` atomically: a temporary file beside it, flushed, then renamed over it,
// so an interrupted write never leaves a damaged or half-written file at `path`.
void write_binary_proto(const google::protobuf::Message& message, const std::string& path);

// Reads a whole file; raises hwgq::Error naming the path when it cannot.
std::string read_file(const std::string& path);
// Atomic write of raw bytes (temporary file + rename).
void write_file_atomic(const std::string& path, const std::string& bytes);
bool file_exists(const std::string& path);

}  // namespace hwgq
