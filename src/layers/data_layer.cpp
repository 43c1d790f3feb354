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

void DataLayer::begin() {
  reader_->rewind();
  const uint32_t rand_skip = param_.data_param().rand_skip();
  if (rand_skip > 0) {
    const uint32_t skip = std::uniform_int_distribution<uint32_t>(0, rand_skip - 1)(Context::get().rng());
    LOG(INFO) << where() << "skipping the first " << skip << " records";
    SourceItem ignored;
    for (uint32_t i = 0; i < skip; ++i) next_item(&ignored);
  }
}

void DataLayer::next_item(SourceItem* item) { reader_->next(&item->name, &item->payload); }

void DataLayer::decode(const SourceItem& item, DecodedItem* out) const {
  const std::string origin = reader_->path() + " record " + item.name;
  HWGQ_REQUIRE(out->datum.ParseFromString(item.payload), origin << ": not a Datum");
  out->pixels = datum_pixels(out->datum, mode_, origin, &out->image);
  out->label = out->datum.label();
}

}  // namespace hwgq
