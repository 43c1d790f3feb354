// Writes the generated part of the seed corpus (fuzz/make_corpus.sh adds real prototxts
// and a packed model made by `hwgq export`): every file is produced by hwgq's own writers
// from the tiny net of tiny_net.hpp or from small synthetic images.
//
// usage: hwgq_fuzz_corpus OUTPUT_DIR   (creates OUTPUT_DIR/<target>/...)
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <glog/logging.h>

#include "hwgq/common.hpp"
#include "hwgq/data/datum.hpp"
#include "hwgq/data/idx_reader.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/net.hpp"
#include "hwgq/solver.hpp"
#include "hwgq/util/io.hpp"
#include "tiny_net.hpp"

namespace fs = std::filesystem;

namespace {

hwgq::Image gradient_image(int height, int width, int channels) {
  hwgq::Image image;
  image.height = height;
  image.width = width;
  image.channels = channels;
  image.pixels.resize(size_t(height) * width * channels);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 37 % 256);
  return image;
}

std::string big_endian(uint32_t value) {
  return {char(value >> 24), char(value >> 16 & 0xff), char(value >> 8 & 0xff), char(value & 0xff)};
}

std::string gzip(const std::string& bytes) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, bytes.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  HWGQ_REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END, "gzip failed");
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// The datum_transform_fuzzer header (see that file) followed by the Datum.
std::string datum_seed(const std::string& header, const hwgq::Datum& datum) { return header + datum.SerializeAsString(); }

}  // namespace

int main(int argc, char** argv) {
  FLAGS_minloglevel = google::GLOG_ERROR;
  if (argc != 2) {
    std::cerr << "usage: hwgq_fuzz_corpus OUTPUT_DIR\n";
    return 2;
  }
  try {
    const fs::path out = argv[1];
    for (const char* target : {"prototxt_net_fuzzer", "caffemodel_fuzzer", "solverstate_fuzzer",
                               "datum_transform_fuzzer", "idx_fuzzer", "image_decode_fuzzer", "work"})
      fs::create_directories(out / target);
    hwgq::Context::get().set_random_seed(1);

    hwgq::write_file_atomic(out / "prototxt_net_fuzzer" / "tiny_train.prototxt", hwgq::fuzz::tiny_train_net());
    hwgq::write_file_atomic(out / "work" / "tiny_deploy.prototxt", hwgq::fuzz::tiny_deploy_net());

    // Two solver types (their history differs), two iterations each, then a snapshot.
    for (const std::string type : {"SGD", "Adam"}) {
      hwgq::SolverParameter param;
      hwgq::parse_text_proto(hwgq::fuzz::tiny_train_net(), "tiny_net", param.mutable_net_param());
      param.set_type(type);
      param.set_base_lr(0.01f);
      param.set_lr_policy("fixed");
      param.set_momentum(0.9f);
      param.set_max_iter(2);
      param.set_random_seed(1);
      param.set_snapshot_prefix((out / "work" / type).string());
      auto solver = hwgq::create_solver(param, "tiny_solver.prototxt");
      solver->step(2);
      const std::string model = solver->snapshot();
      const std::string state = model.substr(0, model.size() - std::string(".caffemodel").size()) + ".solverstate";
      // The solverstate_fuzzer's first byte picks the solver type: 0 SGD, 2 Adam.
      const char selector = type == "SGD" ? 0 : 2;
      hwgq::write_file_atomic(out / "solverstate_fuzzer" / (type + ".solverstate"),
                              std::string(1, selector) + hwgq::read_file(state));
      if (type == "SGD") {
        fs::copy_file(model, out / "caffemodel_fuzzer" / "tiny.caffemodel", fs::copy_options::overwrite_existing);
        fs::copy_file(model, out / "work" / "tiny.caffemodel", fs::copy_options::overwrite_existing);
      }
    }

    const hwgq::Image color = gradient_image(6, 5, 3);
    const hwgq::Image gray = gradient_image(6, 5, 1);
    hwgq::write_file_atomic(out / "image_decode_fuzzer" / "color.jpg", hwgq::encode_jpeg(color, 90));
    hwgq::write_file_atomic(out / "image_decode_fuzzer" / "gray.jpg", hwgq::encode_jpeg(gray, 90));
    hwgq::write_file_atomic(out / "image_decode_fuzzer" / "color.png", hwgq::encode_png(color));
    hwgq::write_file_atomic(out / "image_decode_fuzzer" / "gray.png", hwgq::encode_png(gray));

    // Header bytes: flags (mirror, TRAIN, colour mode, mean count), crop, scale, means.
    hwgq::Datum datum;
    hwgq::image_to_datum(color, 3, &datum);
    hwgq::write_file_atomic(out / "datum_transform_fuzzer" / "raw_color_crop",
                            datum_seed(std::string("\x33\x04\x02\x68\x74\x7b\x00", 7), datum));
    hwgq::image_to_datum(gray, 1, &datum);
    hwgq::write_file_atomic(out / "datum_transform_fuzzer" / "raw_gray",
                            datum_seed(std::string("\x10\x00\x00\x80\x00\x00\x00", 7), datum));
    datum.clear_data();
    for (int i = 0; i < 6 * 5; ++i) datum.add_float_data(i * 0.5f);
    hwgq::write_file_atomic(out / "datum_transform_fuzzer" / "float_gray_mirror",
                            datum_seed(std::string("\x01\x03\x40\x00\x00\x00\x00", 7), datum));
    hwgq::encoded_to_datum(hwgq::encode_jpeg(color, 90), color, 2, &datum);
    hwgq::write_file_atomic(out / "datum_transform_fuzzer" / "encoded_jpeg_gray",
                            datum_seed(std::string("\x0a\x05\x00\x00\x00\x00\x00", 7), datum));
    hwgq::encoded_to_datum(hwgq::encode_png(color), color, 2, &datum);
    hwgq::write_file_atomic(out / "datum_transform_fuzzer" / "encoded_png_color",
                            datum_seed(std::string("\x34\x00\x00\x10\x20\x30\x00", 7), datum));

    std::string labels = big_endian(hwgq::idx_u8_magic(1)) + big_endian(4) + std::string("\x01\x02\x03\x09", 4);
    std::string images = big_endian(hwgq::idx_u8_magic(3)) + big_endian(2) + big_endian(3) + big_endian(2);
    for (int i = 0; i < 12; ++i) images += static_cast<char>(i * 21);
    hwgq::write_file_atomic(out / "idx_fuzzer" / "labels.idx", labels);
    hwgq::write_file_atomic(out / "idx_fuzzer" / "images.idx", images);
    hwgq::write_file_atomic(out / "idx_fuzzer" / "images.idx.gz", gzip(images));
  } catch (const hwgq::Error& error) {
    std::cerr << "hwgq_fuzz_corpus: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
