// Averages the weight gradients of fully connected layers (InnerProduct, BinaryInnerProduct)
// across the ranks by exchanging their factors instead of the gradients themselves.
//
// A fully connected layer's weight gradient over one rank's batch is dW_r = dY_r^T X_r, the
// product of its top gradient (b x M) and its bottom (b x K). Averaged over N ranks it is
//   dW = (1/N) sum_r dY_r^T X_r = (1/N) dY^T X,
// with X and dY the ranks' rows stacked: the gradient one process computes for the whole
// batch of N*b. So the ranks gather every rank's X and dY, N*b*(K+M) floats, and each
// computes dW for the whole batch itself, instead of reducing K*M floats: for AlexNet's fc6
// (K = 9216, M = 4096) and 2 ranks of 16 images 1.7 MB instead of 151 MB, for one more
// b x K x M product of arithmetic per rank. The layer's own backward skips its weight
// gradient (param_propagate_down of the weights is turned off), the bias gradient and the
// bottom gradient are as before; the gradient reducer leaves these weights alone, and the
// solver does not zero their gradients before an iteration (the product overwrites them).
//
// A layer's gathers start as soon as its backward is done and are waited for only after the
// whole backward pass, when the whole-batch products are computed: a rank that is ahead
// goes on with the layers below instead of waiting mid-backward for the slower one (the
// ranks meet once, at the end, where the gradient reducer makes them meet anyway).
//
// Used where it is exact and cheaper: CPU training with iter_size 1 (with more passes per
// iteration the rows of every pass would be needed), weights owned by the layer (no
// parameter sharing) and learnable; with `auto`, only where the gathered factors are at
// most 1/16 of the gradient, N*b*(K+M) <= K*M/16, which keeps the added arithmetic far
// below the saved memory traffic (a larger batch reduces the gradient instead).
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "hwgq/solver.hpp"
#include "mpi_world.hpp"

namespace hwgq::parallel {

enum class FactorExchangeMode { Auto, Factors, Gradients };

// "auto", "factors" or "gradients"; anything else is a hwgq::Error naming the choices.
FactorExchangeMode parse_factor_exchange_mode(const std::string& text);

class FactorGradientExchange {
 public:
  // Collective. Picks the layers of the solver's training net (Gradients: none; Factors:
  // every eligible one, and the job ends with the reason when the run cannot use factors at
  // all: GPU mode or iter_size > 1), turns their weight gradients off in the layers and
  // registers its gradient callbacks. Null when no layer was picked. Must be created before
  // the gradient reducer, whose callbacks then run after its own.
  static std::unique_ptr<FactorGradientExchange> create(const MpiWorld& world, Solver* solver, FactorExchangeMode mode);
  ~FactorGradientExchange();
  FactorGradientExchange(const FactorGradientExchange&) = delete;
  FactorGradientExchange& operator=(const FactorGradientExchange&) = delete;

  // true for the ids (in net().learnable_params()) of the weights averaged here.
  const std::vector<bool>& handled() const { return handled_; }
  // "fc6 (9216 -> 4096), fc7 (...)", for the log.
  std::string describe() const;
  // Floats gathered per iteration by this rank, and seconds spent (gathering and computing),
  // summed over the iterations.
  int64_t floats_per_iteration() const { return floats_per_iteration_; }
  double seconds() const { return seconds_; }

 private:
  struct Target {
    int layer;           // index in the net
    int weights;         // param id of its weights
    int rows, inputs, outputs;  // b, K, M
    bool transposed;     // weights stored K x M
    // This iteration's exchange: this rank's X and dY rows, every rank's (X of rank 0, 1,
    // ..., then dY of rank 0, 1, ...), and the two gathers while they run.
    std::vector<float> mine, all;
    MPI_Request requests[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    bool pending = false;
  };

  FactorGradientExchange(const MpiWorld& world, Solver* solver, std::vector<Target> targets);
  void on_gradient_ready(int param_id);
  void on_gradients_ready();
  // Copies the layer's X and dY and starts gathering every rank's; finish() waits for them
  // and computes the weight gradient.
  void start_gathers(Target* target);
  void finish(Target* target);

  const MpiWorld& world_;
  Solver* solver_;
  std::vector<Target> targets_;
  std::vector<int> target_of_param_;  // -1 where the param is not a target
  std::vector<bool> handled_;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int64_t floats_per_iteration_ = 0;
  double seconds_ = 0;
};

}  // namespace hwgq::parallel
