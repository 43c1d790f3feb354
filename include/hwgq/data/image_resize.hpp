// Bilinear resizing of 8-bit images, byte for byte as Caffe's tools resize them (OpenCV's
// cv::resize with INTER_LINEAR), so that LMDBs written by convert_imageset --resize_* and
// images fed through ImageData's new_height/new_width hold the same bytes in both tools.
#pragma once

#include "hwgq/data/image_io.hpp"

namespace hwgq {

// Pixel centres aligned: output column x samples source column (x + 0.5) * in / out - 0.5;
// columns left or right of the image repeat its first or last column, rows above or below
// repeat its first or last row. Weights and rounding are OpenCV's 11-bit fixed point (see
// image_resize.cpp). Resizing to the same size returns the image unchanged.
Image resize_bilinear(const Image& image, int height, int width);

}  // namespace hwgq
