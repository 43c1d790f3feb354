// The shared part of layers that apply one scalar function to every element (ReLU,
// Sigmoid, TanH): one bottom, one top of the bottom's shape, in place allowed, and the
// loops over the elements, here for the CPU and in cuda/layers/elementwise_layer.cuh for
// the GPU. A layer gives only its function, as a small struct returned by function():
//
//   struct Function {
//     HWGQ_HOST_DEVICE float forward(float x) const;               // y = f(x)
//     HWGQ_HOST_DEVICE float backward(float source, float dy) const;  // dx
//     static constexpr bool kGradientFromOutput = ...;
//   };
//
// `source` is y when kGradientFromOutput is set, otherwise x, except in place, where x is
// gone and y is passed: a layer whose gradient needs x must then refuse in place in its
// reshape wherever y cannot stand in for x.
#pragma once

#include <utility>

#include "hwgq/layer.hpp"

// Callable from host and device code: the same function serves both passes.
#ifdef __CUDACC__
#define HWGQ_HOST_DEVICE __host__ __device__
#else
#define HWGQ_HOST_DEVICE
#endif

namespace hwgq {

template <class Concrete>
class ElementwiseLayer : public TypedLayer<Concrete> {
 public:
  explicit ElementwiseLayer(const LayerParameter& param) : TypedLayer<Concrete>(param) {}

  void reshape(const BlobVec& bottom, const BlobVec& top) override {
    if (bottom[0] != top[0]) top[0]->reshape_like(*bottom[0]);
  }
  int exact_num_bottom_blobs() const override { return 1; }
  int exact_num_top_blobs() const override { return 1; }
  bool allow_in_place() const override { return true; }

 protected:
  void forward_cpu(const BlobVec& bottom, const BlobVec& top) override {
    const auto f = static_cast<const Concrete&>(*this).function();
    const int n = bottom[0]->count();
    const float* x = bottom[0]->cpu_data();
    float* y = top[0]->mutable_cpu_data();
#pragma omp parallel for if (n >= kParallelMin)
    for (int i = 0; i < n; ++i) y[i] = f.forward(x[i]);
  }

  void backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override {
    if (!propagate_down[0]) return;
    const auto f = static_cast<const Concrete&>(*this).function();
    const int n = bottom[0]->count();
    const float* source = gradient_source(top, bottom)->cpu_data();
    const float* dy = top[0]->cpu_diff();
    float* dx = bottom[0]->mutable_cpu_diff();
#pragma omp parallel for if (n >= kParallelMin)
    for (int i = 0; i < n; ++i) dx[i] = f.backward(source[i], dy[i]);
  }

  // Defined for the GPU in cuda/layers/elementwise_layer.cuh, instantiated by each layer's .cu.
  void forward_gpu(const BlobVec& bottom, const BlobVec& top) override;
  void backward_gpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) override;

  // The blob whose values backward passes as `source` (see the top of this file).
  static const Blob* gradient_source(const BlobVec& top, const BlobVec& bottom) {
    using Function = decltype(std::declval<const Concrete&>().function());
    return Function::kGradientFromOutput || bottom[0] == top[0] ? top[0] : bottom[0];
  }

 private:
  // Below this many elements the thread start-up costs more than the loop.
  static constexpr int kParallelMin = 1 << 15;
};

}  // namespace hwgq
