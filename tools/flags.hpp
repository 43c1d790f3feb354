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
DECLARE_string(metrics);
DECLARE_string(format);

#include <string>
#include <vector>

namespace hwgq::cli {
// Applies --gpu and --threads to the run context (CPU or the chosen GPU).
void apply_device_flags();

// Raises hwgq::Error for a shared flag out of its range (--phase, --gpu, --threads), for
// positional arguments given to `verb` when it takes none, and for an input path flag
// (--solver, --model, --weights, --snapshot, --transform_from) naming something missing, a
// folder or an empty file. Runs before every verb, so each verb sees checked values.
void validate_flags(const std::string& verb, const std::vector<std::string>& args);

// "a,b,,c" -> {"a", "b", "c"}: the parts of a comma-separated flag value (--weights, --images).
std::vector<std::string> split_commas(const std::string& text);

// The flags of the hwgq tool (those defined under tools/), one per line with their
// defaults, for `hwgq <verb> --help`.
std::string flags_help();
}  // namespace hwgq::cli
