#include "models/model_test_util.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "data/data_test_util.hpp"
#include "hwgq/data/convert_imageset.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/data/image_mean.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq::test {

std::string make_image_lmdb(const std::string& folder, const std::string& name, int count, int height, int width,
                            bool gray, int classes) {
  const std::string images = folder + "/" + name + "_images";
  std::filesystem::create_directories(images);
  std::ofstream list(folder + "/" + name + "_list.txt");
  for (int i = 0; i < count; ++i) {
    Image image = make_image(height, width, 3, i + 1);
    if (gray) image = convert_color(image, ColorMode::Gray);
    const std::string file = "img" + std::to_string(i) + ".jpg";
    write_file_atomic(images + "/" + file, encode_jpeg(image, 90));
    list << file << " " << (i % classes) << "\n";
  }
  list.close();
  ConvertImagesetOptions options;
  options.gray = gray;
  const std::string lmdb = folder + "/" + name + "_lmdb";
  const ConvertImagesetResult result = convert_imageset(images + "/", folder + "/" + name + "_list.txt", lmdb, options);
  EXPECT_EQ(result.written, count);
  return lmdb;
}

std::string make_mean_file(const std::string& lmdb, const std::string& path) {
  write_binary_proto(compute_image_mean(lmdb).mean, path);
  return path;
}

namespace {
bool is_train_layer(const LayerParameter& layer) {
  for (const auto& rule : layer.include()) {
    if (rule.has_phase()) return rule.phase() == TRAIN;
  }
  return !layer.has_phase() || layer.phase() == TRAIN;
}
}  // namespace

void set_data_sources(NetParameter* net, const std::string& train_source, const std::string& test_source,
                      const std::string& train_mean, const std::string& test_mean) {
  for (auto& layer : *net->mutable_layer()) {
    if (layer.type() != "Data") continue;
    const bool train = is_train_layer(layer);
    layer.mutable_data_param()->set_source(train ? train_source : test_source);
    layer.mutable_data_param()->set_backend(DataParameter::LMDB);
    const std::string& mean = train ? train_mean : test_mean;
    if (!mean.empty() && layer.transform_param().has_mean_file()) {
      layer.mutable_transform_param()->set_mean_file(mean);
    }
  }
}

std::map<std::string, std::vector<std::vector<int>>> param_shapes(const Net& net) {
  std::map<std::string, std::vector<std::vector<int>>> shapes;
  for (const auto& layer : net.layers()) {
    if (layer->blobs().empty()) continue;
    auto& entry = shapes[layer->name()];
    for (const auto& blob : layer->blobs()) entry.push_back(blob->shape());
  }
  return shapes;
}

std::map<std::string, int> layer_type_counts(const NetParameter& net) {
  std::map<std::string, int> counts;
  for (const auto& layer : net.layer()) ++counts[layer.type()];
  return counts;
}

std::string reference_dir() {
  const char* env = std::getenv("HWGQ_REFERENCE_DIR");
  const std::string dir = env && *env ? env : HWGQ_SOURCE_DIR "/../shared/reference/hwgq-official";
  return std::filesystem::is_directory(dir) ? dir : "";
}

bool long_tests_enabled() {
  const char* env = std::getenv("HWGQ_LONG_TESTS");
  return env && std::string(env) == "1";
}

std::vector<std::string> files_under(const std::string& root, const std::string& suffix) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string path = entry.path().string();
    if (entry.is_regular_file() && path.size() >= suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void randomize_params(Net* net, float std, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, std);
  for (const auto& layer : net->layers()) {
    const bool batch_norm = std::string(layer->type()) == "BatchNorm";
    for (size_t b = 0; b < layer->blobs().size(); ++b) {
      Blob& blob = *layer->blobs()[b];
      float* data = blob.mutable_cpu_data();
      for (int i = 0; i < blob.count(); ++i) {
        if (!batch_norm) {
          data[i] = normal(rng);
        } else if (b == 0) {
          data[i] = normal(rng);  // mean
        } else if (b == 1) {
          data[i] = 0.5f + std::abs(normal(rng)) * 10.f;  // variance
        } else {
          data[i] = 1.f;  // normaliser
        }
      }
    }
  }
}

}  // namespace hwgq::test
