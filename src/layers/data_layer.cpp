#include "hwgq/layers/data_layer.hpp"

#include <glog/logging.h>

namespace hwgq {

void DataLayer::open_source() {
  const DataParameter& p = param_.data_param();
  HWGQ_REQUIRE(!p.source().empty(), where() << "data_param.source is not set");
  // Caffe's default backend is LEVELDB, so only an explicit choice of it is refused;
  // leaving backend out reads an LMDB.
  HWGQ_REQUIRE(!(p.has_backend() && p.backend() == DataParameter::LEVELDB),
               where() << "data_param.backend LEVELDB is not supported; convert " << p.source()
                       << " to LMDB (hwgq convert_imageset writes LMDB) and set backend: LMDB");
  reader_.reset();
  try {
    reader_ = std::make_unique<LmdbReader>(p.source());
  } catch (const Error& e) {
    HWGQ_FAIL(where() << e.what());
  }
  const TransformationParameter& t = param_.transform_param();
  mode_ = t.force_gray() ? ColorMode::Gray
          : (t.force_color() || p.force_encoded_color()) ? ColorMode::Color
                                                          : ColorMode::Native;
  LOG(INFO) << where() << reader_->size() << " records in " << p.source();
}

void DataLayer::rewind(uint64_t) { reader_->rewind(); }

void DataLayer::skip_items(int64_t count) {
  // The records come round in key order, so only the remainder of a whole pass moves.
  reader_->skip(static_cast<size_t>(count % static_cast<int64_t>(reader_->size())));
}

void DataLayer::next_item(SourceItem* item) { reader_->next(&item->name, &item->payload); }

void DataLayer::decode(const SourceItem& item, DecodedItem* out) const {
  const std::string origin = reader_->path() + " record " + item.name;
  HWGQ_REQUIRE(out->datum.ParseFromString(item.payload), origin << ": not a Datum");
  out->pixels = datum_pixels(out->datum, mode_, origin, &out->image);
  out->label = out->datum.label();
}

}  // namespace hwgq
