#include "hwgq/util/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include "hwgq/common.hpp"

namespace hwgq {

namespace {

// Collects the first parse error with its position (protobuf counts lines and columns from 0).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (!has_error_) {
      has_error_ = true;
      line_ = line + 1;
      column_ = column + 1;
      message_ = message;
    }
  }
  bool has_error_ = false;
  int line_ = 0;
  int column_ = 0;
  std::string message_;
};

}  // namespace

bool file_exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

std::string read_file(const std::string& path) {
  // A folder opens as a stream on Linux and reads as empty, which would parse as an
  // empty message.
  struct stat info;
  HWGQ_REQUIRE(::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode), path << " is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  HWGQ_REQUIRE(in.good(), "cannot open " << path << ": " << std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  HWGQ_REQUIRE(!in.bad(), "cannot read " << path << ": " << std::strerror(errno));
  return buffer.str();
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  HWGQ_REQUIRE(fd >= 0, "cannot write " << temporary << ": " << std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      HWGQ_FAIL("cannot write " << temporary << ": " << std::strerror(err));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int close_status = ::close(fd);
  if (!synced || close_status != 0) {
    ::unlink(temporary.c_str());
    HWGQ_FAIL("cannot write " << temporary << ": " << std::strerror(errno));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    HWGQ_FAIL("cannot rename " << temporary << " to " << path << ": " << std::strerror(err));
  }
}

void parse_text_proto(const std::string& text, const std::string& origin, google::protobuf::Message* message) {
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, message)) {
    if (errors.has_error_) {
      HWGQ_FAIL(origin << ":" << errors.line_ << ":" << errors.column_ << ": " << errors.message_);
    }
    HWGQ_FAIL(origin << ": cannot parse as " << message->GetTypeName());
  }
}

void read_text_proto(const std::string& path, google::protobuf::Message* message) {
  parse_text_proto(read_file(path), path, message);
}

void write_text_proto(const google::protobuf::Message& message, const std::string& path) {
  std::string text;
  HWGQ_REQUIRE(google::protobuf::TextFormat::PrintToString(message, &text), "cannot format " << path);
  write_file_atomic(path, text);
}

void read_binary_proto(const std::string& path, google::protobuf::Message* message) {
  const std::string bytes = read_file(path);
  google::protobuf::io::ArrayInputStream array(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&array);
  // Weight files of large networks exceed protobuf's default 64 MiB message limit.
  coded.SetTotalBytesLimit(INT32_MAX);
  HWGQ_REQUIRE(message->ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage(),
               path << " is truncated or not a binary " << message->GetTypeName() << " file");
}

void write_binary_proto(const google::protobuf::Message& message, const std::string& path) {
  std::string bytes;
  HWGQ_REQUIRE(message.SerializeToString(&bytes), "cannot serialize " << message.GetTypeName() << " for " << path);
  write_file_atomic(path, bytes);
}

}  // namespace hwgq
