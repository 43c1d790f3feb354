// Reading and writing JPEG / PNG images with hwgq's own codecs, so scripts need no image
// library: pixels are uint8, H x W x C, colour in B, G, R order as Caffe stores them.
#include <pybind11/numpy.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "bindings.hpp"
#include "hwgq/common.hpp"
#include "hwgq/data/image_io.hpp"
#include "hwgq/data/image_resize.hpp"
#include "hwgq/util/io.hpp"

namespace py = pybind11;

namespace hwgq::python {
namespace {

ColorMode parse_color(const std::string& color) {
  if (color == "native") return ColorMode::Native;
  if (color == "color") return ColorMode::Color;
  if (color == "gray") return ColorMode::Gray;
  HWGQ_FAIL("color must be \"native\", \"color\" or \"gray\", got \"" << color << "\"");
}

py::array load_image(const std::string& path, const std::string& color, int height, int width) {
  HWGQ_REQUIRE(height >= 0 && width >= 0 && (height == 0) == (width == 0),
               "load_image: give both height and width (> 0) to resize, or neither");
  Image image = read_image(path, parse_color(color));
  if (height > 0) image = resize_bilinear(image, height, width);
  py::array_t<uint8_t> pixels({image.height, image.width, image.channels});
  std::memcpy(pixels.mutable_data(), image.pixels.data(), image.pixels.size());
  return pixels;
}

void save_image(const std::string& path, const py::object& array) {
  const auto pixels = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(array);
  HWGQ_REQUIRE(pixels && (pixels.ndim() == 2 || (pixels.ndim() == 3 && (pixels.shape(2) == 1 || pixels.shape(2) == 3))),
               "save_image needs an H x W or H x W x C (C = 1 or 3) array of uint8");
  Image image;
  image.height = static_cast<int>(pixels.shape(0));
  image.width = static_cast<int>(pixels.shape(1));
  image.channels = pixels.ndim() == 3 ? static_cast<int>(pixels.shape(2)) : 1;
  HWGQ_REQUIRE(image.height > 0 && image.width > 0, "save_image: the image is empty");
  image.pixels.assign(pixels.data(), pixels.data() + pixels.size());
  const std::string extension = path.substr(path.find_last_of('.') + 1);
  std::string format = extension;
  std::transform(format.begin(), format.end(), format.begin(), ::tolower);
  write_file_atomic(path, encode_image(image, format));
}

}  // namespace

void define_image(py::module_& module) {
  module.def("load_image", &load_image, py::arg("path"), py::arg("color") = "native", py::arg("height") = 0,
             py::arg("width") = 0,
             "A JPEG or PNG file as uint8 H x W x C (B, G, R), optionally resized (bilinear).");
  module.def("save_image", &save_image, py::arg("path"), py::arg("pixels"),
             "Writes uint8 H x W [x C] pixels (B, G, R) as .png or .jpg, by the path's extension.");
}

}  // namespace hwgq::python
