#!/usr/bin/env bash
# Whole training iterations (forward, backward, SGD step with momentum and weight decay) of
# the HWGQ benchmark nets in hwgq and in PyTorch, same batch and thread count, random inputs
# already in memory, measured in one run: the two engines alternate ROUNDS times per net and
# the ratio of the medians is printed. PyTorch is Debian's python3-torch under
# /usr/bin/python3 at its best: LD_PRELOAD of libtcmalloc-minimal4 and channels_last.
#
#   bench/hwgq_nets_vs_pytorch.sh [THREADS] [ROUNDS] [NET...]     # NET: lenet cifar10_vgg alexnet resnet18
#
# Batches are those of docs/benchmarks.md: LeNet-HWGQ 64, CIFAR-10 VGG-HWGQ 50,
# AlexNet-HWGQ 16, ResNet-18-HWGQ 8. Needs $BUILD/bin/hwgq_bench (BUILD defaults to build).
# BACKWARD_PRECISION=bf16 runs hwgq's convolution backward passes in bfloat16 (solver field
# backward_precision; float32, the default, where the CPU lacks AVX512_BF16); PyTorch stays
# float32 either way unless PYTORCH_AUTOCAST_BF16=1, which runs PyTorch's forward under
# torch.autocast("cpu", bfloat16) (its mixed precision: convolutions and matmuls in bfloat16,
# so their backward too).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
ROUNDS=${2:-3}
shift $(( $# > 2 ? 2 : $# ))
NETS=("$@")
[ ${#NETS[@]} -gt 0 ] || NETS=(lenet cifar10_vgg alexnet resnet18)
BUILD=${BUILD:-build}
BACKWARD_PRECISION=${BACKWARD_PRECISION:-float32}
TORCH_ARGS=()
[ "${PYTORCH_AUTOCAST_BF16:-0}" = 1 ] && TORCH_ARGS+=(--autocast-bf16)
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -f "$TCMALLOC" ] || { echo "install libtcmalloc-minimal4 (apt-get install libtcmalloc-minimal4)"; exit 1; }
source bench/median.sh

for net in "${NETS[@]}"; do
  case $net in
    lenet) batch=64 iterations=30 ;;
    cifar10_vgg) batch=50 iterations=3 ;;
    alexnet) batch=16 iterations=3 ;;
    resnet18) batch=8 iterations=3 ;;
    *) echo "unknown net $net (lenet, cifar10_vgg, alexnet, resnet18)"; exit 1 ;;
  esac
  hwgq_ms=()
  torch_ms=()
  for round in $(seq "$ROUNDS"); do
    h=$(OMP_NUM_THREADS=$THREADS "$BUILD"/bin/hwgq_bench --model=bench/nets/${net}_hwgq.prototxt \
          --threads="$THREADS" --batch="$batch" --iterations="$iterations" --repeats=3 \
          --backward_precision="$BACKWARD_PRECISION" | awk '/median/ {print $2}')
    t=$(LD_PRELOAD=$TCMALLOC OMP_NUM_THREADS=$THREADS /usr/bin/python3 -W ignore bench/pytorch_hwgq_nets.py \
          --model "$net" --device cpu --channels-last --threads "$THREADS" --batch "$batch" \
          --iterations "$iterations" --repeats 3 "${TORCH_ARGS[@]}" | awk '/median/ {print $2}')
    echo "$net round $round: hwgq $h ms/iter, pytorch $t ms/iter"
    hwgq_ms+=("$h")
    torch_ms+=("$t")
  done
  H=$(median "${hwgq_ms[@]}")
  T=$(median "${torch_ms[@]}")
  echo "$net batch $batch, $THREADS threads (hwgq backward $BACKWARD_PRECISION, PyTorch autocast bf16" \
       "${PYTORCH_AUTOCAST_BF16:-0}): hwgq $H ms, PyTorch $T ms," \
       "PyTorch/hwgq = $(awk -v h="$H" -v t="$T" 'BEGIN {printf "%.2f", t / h}')"
done
