// The SGD step with momentum and L2 weight decay as one pass over a parameter.
//
// Per value i, with g the gradient (already summed over the iteration's passes):
//   g_i   = diff_scale * diff_i + decay * data_i     (weight decay)
//   h_i   = momentum * h_i + rate * g_i              (the momentum history)
//   data_i -= h_i;  diff_i = h_i                     (the step, left in diff as Caffe does)
// the same arithmetic as the solver's separate passes (weight decay, momentum update, copy of
// the step, subtraction), which stream the parameter's arrays 11 times; this streams them 6
// times. For a net whose parameters do not fit in the caches (AlexNet-HWGQ's 238 MiB) the
// update is memory-bound, so that is most of its time.
#pragma once

#include <cstdint>

namespace hwgq {

void sgd_momentum_step(int64_t n, float rate, float momentum, float decay, float diff_scale, float* data, float* diff,
                       float* history);

}  // namespace hwgq
