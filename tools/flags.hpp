// Command-line flags shared by several verbs (defined once in tools/flags.cpp). A flag
// used by a single verb is defined in that verb's file.
#pragma once

#include <gflags/gflags.h>

DECLARE_string(solver);
DECLARE_string(model);
DECLARE_string(weights);
DECLARE_string(snapshot);
DECLARE_string(output);
DECLARE_int32(iterations);
DECLARE_int32(batch);
DECLARE_int32(gpu);
DECLARE_int32(threads);
DECLARE_string(phase);
DECLARE_string(layer);

namespace hwgq::cli {
// Applies --gpu and --threads to the run context (CPU or the chosen GPU).
void apply_device_flags();
}  // namespace hwgq::cli
