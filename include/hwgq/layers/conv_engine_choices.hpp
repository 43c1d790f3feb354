// The engine choices auto has measured, kept in a file so that every process on this
// machine runs a given convolution pass on the same engine: a run and its resumed
// continuation, or two nets in one process, then compute the same floats (the engines
// round differently). One line per choice:
//
//   <machine>\t<pass and shape>\t<im2col|dnnl>
//
// where <machine> names the CPU, the oneDNN build and the thread count. The first line for
// a key wins, so concurrent first measurements end with one answer. The file is
// HWGQ_CONV_ENGINE_CACHE if set ("none": kept in memory only), else
// $XDG_CACHE_HOME/hwgq/conv_engines.tsv, else ~/.cache/hwgq/conv_engines.tsv; deleting it
// makes the next runs measure again. A file that cannot be read or written leaves the
// choices in memory (one warning).
#pragma once

#include <optional>
#include <string>

#include "hwgq/layers/conv_engine.hpp"

namespace hwgq {

// The choice recorded for `key` by this process or, in the file, by any process.
std::optional<ConvEngine> recorded_conv_engine(const std::string& key);

// Records `measured` for `key` unless a choice is recorded already; returns the recorded
// choice (which is `measured` unless another process got there first).
ConvEngine record_conv_engine(const std::string& key, ConvEngine measured);

// What <machine> above is for this process (the CPU's name, the oneDNN version, the
// OpenMP thread count `threads`).
std::string conv_engine_machine_key(int threads);

}  // namespace hwgq
