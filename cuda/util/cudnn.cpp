#include "hwgq/util/cudnn.hpp"

#include <mutex>
#include <vector>

#include "hwgq/common.hpp"
#include "hwgq/util/cuda.hpp"

namespace hwgq::cudnn {

const char* status_string(cudnnStatus_t status) { return cudnnGetErrorString(status); }

void check(cudnnStatus_t status, const char* call, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  char detail[1024] = {0};
  cudnnGetLastErrorString(detail, sizeof(detail));
  HWGQ_FAIL("cuDNN error in " << call << " (" << file << ":" << line << "): " << cudnnGetErrorString(status)
                              << (detail[0] ? std::string(" (") + detail + ")" : std::string()));
}

namespace {
std::mutex g_mutex;
// Per device; never destroyed, for the reason given in gpu_context.cpp.
std::vector<cudnnHandle_t> g_handles;
}  // namespace

cudnnHandle_t handle() {
  int device = 0;
  HWGQ_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_handles.size() <= size_t(device)) g_handles.resize(device + 1, nullptr);
  if (!g_handles[device]) {
    HWGQ_CUDNN_CHECK(cudnnCreate(&g_handles[device]));
    HWGQ_CUDNN_CHECK(cudnnSetStream(g_handles[device], nullptr));
  }
  return g_handles[device];
}

TensorDesc::TensorDesc() { HWGQ_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_)); }
TensorDesc::~TensorDesc() { cudnnDestroyTensorDescriptor(desc_); }

void TensorDesc::set(int n, int c, int h, int w) {
  set_strided(n, c, h, w, c * h * w, h * w, w, 1);
}

void TensorDesc::set_strided(int n, int c, int h, int w, int stride_n, int stride_c, int stride_h, int stride_w) {
  HWGQ_CUDNN_CHECK(cudnnSetTensor4dDescriptorEx(desc_, CUDNN_DATA_FLOAT, n, c, h, w, stride_n, stride_c, stride_h,
                                                stride_w));
}

FilterDesc::FilterDesc() { HWGQ_CUDNN_CHECK(cudnnCreateFilterDescriptor(&desc_)); }
FilterDesc::~FilterDesc() { cudnnDestroyFilterDescriptor(desc_); }

void FilterDesc::set(int out, int in, int kernel_h, int kernel_w) {
  HWGQ_CUDNN_CHECK(
      cudnnSetFilter4dDescriptor(desc_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, out, in, kernel_h, kernel_w));
}

ConvolutionDesc::ConvolutionDesc() { HWGQ_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&desc_)); }
ConvolutionDesc::~ConvolutionDesc() { cudnnDestroyConvolutionDescriptor(desc_); }

void ConvolutionDesc::set(int pad_h, int pad_w, int stride_h, int stride_w, int dilation_h, int dilation_w,
                          int group) {
  HWGQ_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(desc_, pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  HWGQ_CUDNN_CHECK(cudnnSetConvolutionGroupCount(desc_, group));
  // FMA math keeps float32 exact-ish (no TF32); DEFAULT lets cuDNN pick tensor cores.
  HWGQ_CUDNN_CHECK(cudnnSetConvolutionMathType(desc_, cuda::tf32_allowed() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
}

}  // namespace hwgq::cudnn

namespace hwgq::cudnn {

void ConvolutionDesc::set_math_type(cudnnMathType_t math) {
  HWGQ_CUDNN_CHECK(cudnnSetConvolutionMathType(desc_, math));
}

}  // namespace hwgq::cudnn
