// Helpers for the whole-network tests: small image LMDBs made the way users make theirs
// (JPEG files -> convert_imageset), data sources swapped for them, the authors' reference
// files located, and long tests gated.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hwgq/net.hpp"
#include "hwgq/proto/hwgq.pb.h"

namespace hwgq::test {

// Writes `count` JPEG pictures of height x width (colour, or gray when `gray`) into
// folder/name_images/, lists them with labels i % classes, and builds folder/name_lmdb
// with the library's convert_imageset (raw pixels). Returns the LMDB path.
std::string make_image_lmdb(const std::string& folder, const std::string& name, int count, int height, int width,
                            bool gray = false, int classes = 10);

// Writes the mean image of an LMDB as a .binaryproto (compute_image_mean); returns its path.
std::string make_mean_file(const std::string& lmdb, const std::string& path);

// Points every Data layer whose include rule names TRAIN at `train_source`, the others at
// `test_source`. Where `train_mean` / `test_mean` are not empty, a transform_param.mean_file
// is replaced by them the same way.
void set_data_sources(NetParameter* net, const std::string& train_source, const std::string& test_source,
                      const std::string& train_mean = "", const std::string& test_mean = "");

// Every layer with weights: name -> the shapes of its blobs.
std::map<std::string, std::vector<std::vector<int>>> param_shapes(const Net& net);

// Layer type -> how many layers of that type the net has.
std::map<std::string, int> layer_type_counts(const NetParameter& net);

// The HWGQ authors' prototxt files: $HWGQ_REFERENCE_DIR, else
// HWGQ_SOURCE_DIR/../shared/reference/hwgq-official. Empty when absent.
std::string reference_dir();

// Whether HWGQ_LONG_TESTS=1 asks for the slow whole-network tests as well.
bool long_tests_enabled();

// Every file under `root` (recursively) whose name ends in `suffix`, sorted.
std::vector<std::string> files_under(const std::string& root, const std::string& suffix);

// Fills every parameter blob of `net` with values from a fixed-seed Gaussian (scale
// `std`), BatchNorm statistics with valid ones (variances positive, normaliser 1), so
// that forward passes give distinct, finite outputs.
void randomize_params(Net* net, float std = 0.05f, unsigned seed = 1);

}  // namespace hwgq::test
