#include "fuzz_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include <glog/logging.h>

#include "hwgq/common.hpp"
#include "hwgq/layer.hpp"
#include "hwgq/math/blas.hpp"
#include "hwgq/net.hpp"

namespace hwgq::fuzz {

namespace gp = google::protobuf;

void init_fuzz_target() {
  FLAGS_minloglevel = google::GLOG_FATAL;
  FLAGS_logtostderr = true;
  Context::get().set_random_seed(1);
  // Inputs are tiny: a thread pool would only add start-up and hand-off to each run.
  set_num_threads(1);
}

ScratchFile::ScratchFile(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  path_ = std::string(dir && *dir ? dir : "/tmp") + "/hwgq-fuzz-" + std::to_string(getpid()) + "-" + name;
}

ScratchFile::~ScratchFile() { std::remove(path_.c_str()); }

void ScratchFile::write(const void* data, size_t size) const {
  std::ofstream out(path_, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path_.c_str());
    std::abort();
  }
}

void clamp_integers(gp::Message* message, int64_t max_value, int max_repeated) {
  const gp::Reflection* reflection = message->GetReflection();
  std::vector<const gp::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  const uint64_t max_unsigned = static_cast<uint64_t>(max_value);
  for (const gp::FieldDescriptor* field : fields) {
    const bool rep = field->is_repeated();
    if (rep && field->cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) {
      while (reflection->FieldSize(*message, field) > max_repeated) reflection->RemoveLast(message, field);
    }
    const int n = rep ? reflection->FieldSize(*message, field) : 1;
    for (int i = 0; i < n; ++i) {
      switch (field->cpp_type()) {
        case gp::FieldDescriptor::CPPTYPE_INT32: {
          const int32_t v = rep ? reflection->GetRepeatedInt32(*message, field, i) : reflection->GetInt32(*message, field);
          if (v <= max_value) break;
          if (rep) reflection->SetRepeatedInt32(message, field, i, static_cast<int32_t>(max_value));
          else reflection->SetInt32(message, field, static_cast<int32_t>(max_value));
          break;
        }
        case gp::FieldDescriptor::CPPTYPE_INT64: {
          const int64_t v = rep ? reflection->GetRepeatedInt64(*message, field, i) : reflection->GetInt64(*message, field);
          if (v <= max_value) break;
          if (rep) reflection->SetRepeatedInt64(message, field, i, max_value);
          else reflection->SetInt64(message, field, max_value);
          break;
        }
        case gp::FieldDescriptor::CPPTYPE_UINT32: {
          const uint32_t v = rep ? reflection->GetRepeatedUInt32(*message, field, i) : reflection->GetUInt32(*message, field);
          if (v <= max_unsigned) break;
          if (rep) reflection->SetRepeatedUInt32(message, field, i, static_cast<uint32_t>(max_value));
          else reflection->SetUInt32(message, field, static_cast<uint32_t>(max_value));
          break;
        }
        case gp::FieldDescriptor::CPPTYPE_UINT64: {
          const uint64_t v = rep ? reflection->GetRepeatedUInt64(*message, field, i) : reflection->GetUInt64(*message, field);
          if (v <= max_unsigned) break;
          if (rep) reflection->SetRepeatedUInt64(message, field, i, max_unsigned);
          else reflection->SetUInt64(message, field, max_unsigned);
          break;
        }
        case gp::FieldDescriptor::CPPTYPE_MESSAGE:
          clamp_integers(rep ? reflection->MutableRepeatedMessage(message, field, i)
                             : reflection->MutableMessage(message, field),
                         max_value, max_repeated);
          break;
        default:
          break;
      }
    }
  }
}

void clear_file_paths(gp::Message* message) {
  static const std::set<std::string> kPathFields = {"source", "mean_file", "images",   "labels",  "root_folder",
                                                     "net",    "train_net", "test_net", "weights", "snapshot_prefix"};
  const gp::Reflection* reflection = message->GetReflection();
  std::vector<const gp::FieldDescriptor*> fields;
  reflection->ListFields(*message, &fields);
  for (const gp::FieldDescriptor* field : fields) {
    if (field->cpp_type() == gp::FieldDescriptor::CPPTYPE_STRING && kPathFields.count(field->name())) {
      reflection->ClearField(message, field);
    } else if (field->cpp_type() == gp::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(*message, field); ++i)
          clear_file_paths(reflection->MutableRepeatedMessage(message, field, i));
      } else {
        clear_file_paths(reflection->MutableMessage(message, field));
      }
    }
  }
}

int64_t approximate_work(const Net& net) {
  int64_t work = 0;
  for (const auto& blob : net.blobs()) work += blob->count();
  for (size_t i = 0; i < net.layers().size(); ++i) {
    int64_t weights = 0;
    for (const auto& blob : net.layers()[i]->blobs()) weights += blob->count();
    for (const Blob* top : net.top_vecs(static_cast<int>(i))) {
      // An output reads at most its channel's share of the weights (all of them for a
      // 1-channel output); kernels of pooling and LRN are bounded by the integer limit.
      const int64_t channels = top->num_axes() > 1 && top->shape(1) > 0 ? top->shape(1) : 1;
      work += int64_t(top->count()) * std::max<int64_t>(1, weights / channels);
    }
  }
  return work;
}

}  // namespace hwgq::fuzz
