#include "hwgq/layers/eltwise_layer.hpp"

#include "hwgq/math/blas.hpp"

namespace hwgq {

namespace {

constexpr int kParallelMin = 1 << 15;

std::string bottom_label(const LayerParameter& param, size_t index) {
  std::string label = "bottom " + std::to_string(index);
  if ((int)index < param.bottom_size()) label += " \"" + param.bottom(index) + "\"";
  return label;
}

}  // namespace

void EltwiseLayer::layer_setup(const BlobVec& bottom, const BlobVec& top) {
  const EltwiseParameter& p = param_.eltwise_param();
  op_ = p.operation();
  stable_prod_grad_ = p.stable_prod_grad();
  HWGQ_REQUIRE(p.coeff_size() == 0 || op_ == EltwiseParameter::SUM,
               where() << "coeff applies to operation SUM only, not " << EltwiseParameter::EltwiseOp_Name(op_));
  HWGQ_REQUIRE(p.coeff_size() == 0 || p.coeff_size() == (int)bottom.size(),
               where() << "has " << p.coeff_size() << " coeff value(s) for " << bottom.size()
                       << " bottom blobs; give one per bottom or none");
  coeff_.assign(bottom.size(), 1.f);
  for (int i = 0; i < p.coeff_size(); ++i) coeff_[i] = p.coeff(i);
}

void EltwiseLayer::reshape(const BlobVec& bottom, const BlobVec& top) {
  HWGQ_REQUIRE(bottom.size() == coeff_.size(),
               where() << "was set up for " << coeff_.size() << " bottom blobs, got " << bottom.size());
  for (size_t i = 1; i < bottom.size(); ++i) {
    HWGQ_REQUIRE(bottom[i]->shape() == bottom[0]->shape(),
                 where() << bottom_label(param_, i) << " has shape " << bottom[i]->shape_string() << " but "
                         << bottom_label(param_, 0) << " has shape " << bottom[0]->shape_string()
                         << "; all bottoms must have the same shape");
  }
  // PROD's backward reads every bottom after forward, so none may be overwritten by the
  // top; one rule for all operations keeps prototxts portable between them.
  for (size_t i = 0; i < bottom.size(); ++i)
    HWGQ_REQUIRE(bottom[i] != top[0], where() << "cannot run in place (" << bottom_label(param_, i) << " is the top)");
  top[0]->reshape_like(*bottom[0]);
  if (op_ == EltwiseParameter::MAX) max_index_.resize(bottom[0]->count());
}

void EltwiseLayer::forward_cpu(const BlobVec& bottom, const BlobVec& top) {
  const int n = top[0]->count();
  const int nb = static_cast<int>(bottom.size());
  float* y = top[0]->mutable_cpu_data();
  switch (op_) {
    case EltwiseParameter::SUM: {
      const float* x0 = bottom[0]->cpu_data();
      const float c0 = coeff_[0];
#pragma omp parallel for if (n >= kParallelMin)
      for (int j = 0; j < n; ++j) y[j] = c0 * x0[j];
      for (int i = 1; i < nb; ++i) axpy(n, coeff_[i], bottom[i]->cpu_data(), y);
      break;
    }
    case EltwiseParameter::PROD: {
      const float* x0 = bottom[0]->cpu_data();
      const float* x1 = bottom[1]->cpu_data();
#pragma omp parallel for if (n >= kParallelMin)
      for (int j = 0; j < n; ++j) y[j] = x0[j] * x1[j];
      for (int i = 2; i < nb; ++i) {
        const float* x = bottom[i]->cpu_data();
#pragma omp parallel for if (n >= kParallelMin)
        for (int j = 0; j < n; ++j) y[j] *= x[j];
      }
      break;
    }
    case EltwiseParameter::MAX: {
      int* arg = max_index_.data();
      const float* x0 = bottom[0]->cpu_data();
#pragma omp parallel for if (n >= kParallelMin)
      for (int j = 0; j < n; ++j) {
        y[j] = x0[j];
        arg[j] = 0;
      }
      // Strictly greater: on ties the earliest bottom keeps the gradient.
      for (int i = 1; i < nb; ++i) {
        const float* x = bottom[i]->cpu_data();
#pragma omp parallel for if (n >= kParallelMin)
        for (int j = 0; j < n; ++j) {
          if (x[j] > y[j]) {
            y[j] = x[j];
            arg[j] = i;
          }
        }
      }
      break;
    }
  }
}

void EltwiseLayer::backward_cpu(const BlobVec& top, const std::vector<bool>& propagate_down, const BlobVec& bottom) {
  const int n = top[0]->count();
  const int nb = static_cast<int>(bottom.size());
  const float* dy = top[0]->cpu_diff();
  for (int i = 0; i < nb; ++i) {
    if (!propagate_down[i]) continue;
    float* dx = bottom[i]->mutable_cpu_diff();
    switch (op_) {
      case EltwiseParameter::SUM: {
        const float c = coeff_[i];
#pragma omp parallel for if (n >= kParallelMin)
        for (int j = 0; j < n; ++j) dx[j] = c * dy[j];
        break;
      }
      case EltwiseParameter::PROD: {
        if (stable_prod_grad_) {
          copy(n, dy, dx);
          for (int k = 0; k < nb; ++k) {
            if (k == i) continue;
            const float* x = bottom[k]->cpu_data();
#pragma omp parallel for if (n >= kParallelMin)
            for (int j = 0; j < n; ++j) dx[j] *= x[j];
          }
        } else {
          const float* y = top[0]->cpu_data();
          const float* x = bottom[i]->cpu_data();
#pragma omp parallel for if (n >= kParallelMin)
          for (int j = 0; j < n; ++j) dx[j] = dy[j] * y[j] / x[j];
        }
        break;
      }
      case EltwiseParameter::MAX: {
        const int* arg = max_index_.data();
#pragma omp parallel for if (n >= kParallelMin)
        for (int j = 0; j < n; ++j) dx[j] = arg[j] == i ? dy[j] : 0.f;
        break;
      }
    }
  }
}

}  // namespace hwgq
