// Whole training steps on the GPU against the CPU: a small HWGQ network
// (conv -> BN -> Scale -> Quant -> pool -> BinaryConv -> BN -> Quant -> BinaryIP -> BN ->
// Quant -> IP -> SoftmaxWithLoss) trained by SGD for three iterations, and the GPU
// update rules (SGD with L1/L2 decay, Nesterov, Adam) on a plain net.
//
// A quantizer is discontinuous: where the two devices' BN outputs differ in the last bit
// right at a threshold, one activation lands in another level, and everything downstream
// moves a little. With ~12k quantized activations per step, about one such flip in ten
// steps is expected, and one flip moves a weight gradient by up to ~1% (relative L2). So
// the net is compared per blob by relative L2 error with a 2e-2 bound: far above rounding,
// far below what a wrong kernel gives (the per-layer tests check the kernels tightly).
#include <cmath>

#include "gpu_test_util.hpp"
#include "hwgq/solver.hpp"
#include "test_util.hpp"

namespace hwgq {
namespace {

const char* const kTinyHwgq = R"(
  name: "tiny_hwgq"
  layer { name: "data" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 8 dim: 3 dim: 13 dim: 11 } shape { dim: 8 } } }
  layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          convolution_param { num_output: 8 kernel_size: 3 pad: 1
                              weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "constant" value: 0.1 } } }
  layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
  layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
  layer { name: "q1" type: "Quant" bottom: "conv1" top: "conv1"
          quant_param { forward_func: "hwgq" backward_func: "relu"
                        centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 } }
  layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
          pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
  layer { name: "conv2" type: "BinaryConvolution" bottom: "pool1" top: "conv2"
          convolution_param { num_output: 13 kernel_size: 3 pad: 1 bias_term: false
                              weight_filler { type: "gaussian" std: 0.3 } }
          binary_convolution_param { use_alpha: true } }
  layer { name: "bn2" type: "BatchNorm" bottom: "conv2" top: "conv2" }
  layer { name: "q2" type: "Quant" bottom: "conv2" top: "conv2"
          quant_param { forward_func: "hwgq" backward_func: "log_tailed"
                        centers: 0.538 centers: 1.076 centers: 1.614 } }
  layer { name: "fc3" type: "BinaryInnerProduct" bottom: "conv2" top: "fc3"
          inner_product_param { num_output: 16 bias_term: false weight_filler { type: "gaussian" std: 0.3 } }
          binary_inner_product_param { use_alpha: true } }
  layer { name: "bn3" type: "BatchNorm" bottom: "fc3" top: "fc3" }
  layer { name: "q3" type: "Quant" bottom: "fc3" top: "fc3"
          quant_param { forward_func: "hwgq" backward_func: "relu"
                        centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 } }
  layer { name: "fc4" type: "InnerProduct" bottom: "fc3" top: "fc4"
          inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.3 } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc4" bottom: "label" top: "loss" }
)";

// ||gpu - cpu|| <= tolerance * max(||cpu||, 1e-6).
void expect_close_l2(const std::string& what, const float* cpu, const float* gpu, int count, double tolerance) {
  double diff = 0, norm = 0;
  for (int i = 0; i < count; ++i) {
    diff += (double(gpu[i]) - cpu[i]) * (double(gpu[i]) - cpu[i]);
    norm += double(cpu[i]) * cpu[i];
  }
  EXPECT_LE(std::sqrt(diff), tolerance * std::max(std::sqrt(norm), 1e-6)) << what << ": relative L2 error "
                                                                           << std::sqrt(diff / std::max(norm, 1e-12));
}

std::unique_ptr<Solver> make_solver(const std::string& net, const std::string& solver_text, Mode mode) {
  test::ModeScope scope(mode);
  SolverParameter param = test::solver_from_text(solver_text);
  *param.mutable_net_param() = test::net_from_text(net);
  param.set_max_iter(1000);
  param.set_random_seed(7);
  return create_solver(param, "gpu_test");
}

// Same inputs in both nets: data from a fixed seed, labels i % classes.
void fill_inputs(Solver& solver, int classes) {
  auto& inputs = solver.net().input_blobs();
  test::fill_gaussian(inputs[0], 99);
  for (int i = 0; i < inputs[1]->count(); ++i) inputs[1]->mutable_cpu_data()[i] = float(i % classes);
}

void step(Solver& solver, Mode mode, float* loss) {
  test::ModeScope scope(mode);
  solver.net().clear_param_diffs();
  *loss = solver.net().forward_backward();
  solver.apply_update();
}

void compare_training(const std::string& net, const std::string& solver_text, int classes, int iterations,
                      double tolerance) {
  auto cpu = make_solver(net, solver_text, Mode::CPU);
  auto gpu = make_solver(net, solver_text, Mode::GPU);
  const auto& cpu_params = cpu->net().learnable_params();
  const auto& gpu_params = gpu->net().learnable_params();
  ASSERT_EQ(cpu_params.size(), gpu_params.size());
  for (size_t p = 0; p < cpu_params.size(); ++p) {
    ASSERT_EQ(cpu_params[p]->count(), gpu_params[p]->count());
    std::copy_n(cpu_params[p]->cpu_data(), cpu_params[p]->count(), gpu_params[p]->mutable_cpu_data());
  }
  fill_inputs(*cpu, classes);
  fill_inputs(*gpu, classes);
  for (int it = 0; it < iterations; ++it) {
    float cpu_loss = 0, gpu_loss = 0;
    step(*cpu, Mode::CPU, &cpu_loss);
    step(*gpu, Mode::GPU, &gpu_loss);
    const std::string tag = "iteration " + std::to_string(it) + ": ";
    EXPECT_NEAR(cpu_loss, gpu_loss, tolerance * std::max(1.f, std::fabs(cpu_loss))) << tag << "loss";
    // Every parameter blob, learned or not (BN's running sums too).
    const auto& cpu_layers = cpu->net().layers();
    const auto& gpu_layers = gpu->net().layers();
    for (size_t l = 0; l < cpu_layers.size(); ++l) {
      for (size_t b = 0; b < cpu_layers[l]->blobs().size(); ++b) {
        const Blob& c = *cpu_layers[l]->blobs()[b];
        const Blob& g = *gpu_layers[l]->blobs()[b];
        const std::string name = tag + cpu_layers[l]->name() + " blob " + std::to_string(b);
        expect_close_l2(name + " data", c.cpu_data(), g.cpu_data(), c.count(), tolerance);
        expect_close_l2(name + " step", c.cpu_diff(), g.cpu_diff(), c.count(), tolerance);
      }
    }
  }
}

TEST(GpuTraining, HwgqNetStepsMatchCpu) {
  HWGQ_REQUIRE_GPU();
  compare_training(kTinyHwgq, "base_lr: 0.05 lr_policy: 'fixed' momentum: 0.9 weight_decay: 0.0005", 10, 3, 2e-2);
}

const char* const kPlainNet = R"(
  layer { name: "data" type: "Input" top: "data" top: "label"
          input_param { shape { dim: 16 dim: 13 } shape { dim: 16 } } }
  layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
          param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
          inner_product_param { num_output: 7 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "act" type: "TanH" bottom: "ip1" top: "ip1" }
  layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
          inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
)";

TEST(GpuTraining, UpdateRulesMatchCpu) {
  HWGQ_REQUIRE_GPU();
  const char* solvers[] = {
      "type: 'SGD' base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 weight_decay: 0.01",
      "type: 'SGD' base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 weight_decay: 0.01 regularization_type: 'L1'",
      "type: 'Nesterov' base_lr: 0.1 lr_policy: 'fixed' momentum: 0.9 weight_decay: 0.001",
      "type: 'Adam' base_lr: 0.01 lr_policy: 'fixed' momentum: 0.9 momentum2: 0.999 delta: 1e-8",
  };
  for (const char* solver : solvers) {
    SCOPED_TRACE(solver);
    compare_training(kPlainNet, solver, 5, 4, 1e-4);
  }
}

}  // namespace
}  // namespace hwgq
