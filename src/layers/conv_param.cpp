#include "hwgq/layers/conv_param.hpp"

#include <cstdint>

#include "hwgq/common.hpp"

namespace hwgq {

namespace {

// Reads one of the (h, w) settings that convolution_param gives either as a repeated field
// (one value for both axes, or h then w) or as the explicit name_h / name_w pair.
// `name` is the repeated field, `pair` the prefix of its _h/_w form (kernel_size / kernel).
void read_pair(const std::string& where, const char* name, const char* pair,
               const google::protobuf::RepeatedField<uint32_t>& values, bool has_h, uint32_t h, bool has_w, uint32_t w,
               int fallback, int* out_h, int* out_w) {
  if (has_h || has_w) {
    HWGQ_REQUIRE(has_h && has_w, where << "give both " << pair << "_h and " << pair << "_w, or neither");
    HWGQ_REQUIRE(values.empty(), where << "give either " << name << " or " << pair << "_h/" << pair << "_w, not both");
    *out_h = static_cast<int>(h);
    *out_w = static_cast<int>(w);
    return;
  }
  HWGQ_REQUIRE(values.size() <= 2, where << "takes one or two " << name << " values (2-d convolution only), got "
                                         << values.size());
  if (values.empty()) {
    *out_h = *out_w = fallback;
  } else {
    *out_h = static_cast<int>(values.Get(0));
    *out_w = static_cast<int>(values.Get(values.size() - 1));
  }
}

}  // namespace

void read_conv_geometry(const ConvolutionParameter& p, const std::string& at, Conv2dGeometry* geom) {
  HWGQ_REQUIRE(p.kernel_size_size() > 0 || p.has_kernel_h() || p.has_kernel_w(),
               at << "needs kernel_size (or kernel_h and kernel_w)");
  read_pair(at, "kernel_size", "kernel", p.kernel_size(), p.has_kernel_h(), p.kernel_h(), p.has_kernel_w(), p.kernel_w(), 0,
            &geom->kernel_h, &geom->kernel_w);
  read_pair(at, "stride", "stride", p.stride(), p.has_stride_h(), p.stride_h(), p.has_stride_w(), p.stride_w(), 1,
            &geom->stride_h, &geom->stride_w);
  // pad_h / pad_w default to 0, so either may come alone (as Caffe allows).
  const bool pad_pair = p.has_pad_h() || p.has_pad_w();
  read_pair(at, "pad", "pad", p.pad(), pad_pair, p.pad_h(), pad_pair, p.pad_w(), 0, &geom->pad_h, &geom->pad_w);
  read_pair(at, "dilation", "dilation", p.dilation(), false, 0, false, 0, 1, &geom->dilation_h, &geom->dilation_w);
  HWGQ_REQUIRE(geom->kernel_h > 0 && geom->kernel_w > 0,
               at << "kernel size must be > 0, got " << geom->kernel_h << " x " << geom->kernel_w);
  HWGQ_REQUIRE(geom->stride_h > 0 && geom->stride_w > 0,
               at << "stride must be > 0, got " << geom->stride_h << " x " << geom->stride_w);
  // The proto fields are unsigned; values past INT_MAX would come out negative here.
  HWGQ_REQUIRE(geom->pad_h >= 0 && geom->pad_w >= 0, at << "pad is out of range");
  HWGQ_REQUIRE(geom->dilation_h > 0 && geom->dilation_w > 0,
               at << "dilation must be > 0, got " << geom->dilation_h << " x " << geom->dilation_w);
}

void check_conv_param(const ConvolutionParameter& p, const std::string& at, const Blob& bottom) {
  HWGQ_REQUIRE(p.has_num_output() && p.num_output() > 0 && p.num_output() <= INT32_MAX, at << "needs num_output > 0");
  HWGQ_REQUIRE(p.axis() == 1 || p.axis() == -3, at << "supports only axis 1 (N x C x H x W), got axis " << p.axis());
  HWGQ_REQUIRE(bottom.num_axes() == 4, at << "needs a 4-d bottom (N x C x H x W), got " << bottom.shape_string());
  HWGQ_REQUIRE(p.group() > 0, at << "group must be > 0");
}

}  // namespace hwgq
