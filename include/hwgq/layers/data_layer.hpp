// Data: Datum records from an LMDB (Caffe's convert_imageset output, or hwgq's), raw or
// encoded (JPEG/PNG, decoded in the prefetch workers). Records are read in key order,
// starting over after the last; transform_param applies as in Caffe.
//
// data_param: source (the LMDB folder), batch_size, backend (LMDB; LevelDB is not
// supported), rand_skip, prefetch, decode_threads, force_encoded_color.
#pragma once

#include <memory>

#include "hwgq/data/lmdb.hpp"
#include "hwgq/layers/decoding_data_layer.hpp"

namespace hwgq {

class DataLayer : public TypedLayer<DataLayer, DecodingDataLayer> {
 public:
  static constexpr const char* kType = "Data";

  explicit DataLayer(const LayerParameter& param) : TypedLayer(param) {}
  ~DataLayer() override { stop_prefetch(); }
  int64_t source_size() const override { return reader_ ? static_cast<int64_t>(reader_->size()) : -1; }

 protected:
  void open_source() override;
  int batch_size() const override { return static_cast<int>(param_.data_param().batch_size()); }
  TransformationParameter transform_param() const override { return merged_transform_param(param_.data_param()); }
  int decode_threads() const override { return static_cast<int>(param_.data_param().decode_threads()); }
  void rewind(uint64_t seed) override;
  uint32_t rand_skip() const override { return param_.data_param().rand_skip(); }
  void skip_items(int64_t count) override;
  void next_item(SourceItem* item) override;
  void decode(const SourceItem& item, DecodedItem* out) const override;

 private:
  std::unique_ptr<LmdbReader> reader_;
  ColorMode mode_ = ColorMode::Native;
};

}  // namespace hwgq
