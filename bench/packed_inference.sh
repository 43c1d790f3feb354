#!/usr/bin/env bash
# Whole-net inference of the authors' ResNet-18-HWGQ (deploy prototxt, random weights):
# hwgq's packed runtime vs hwgq's float path (both from hwgq_bench_packed, alternating in
# one process) vs PyTorch FP32 ResNet-18 at its best (bench/pytorch_resnet18_infer.py:
# tcmalloc, channels_last, eager or frozen TorchScript, whichever is faster), for batch
# 1 and 16 and 1 and 2 threads, ROUNDS rounds each, medians reported; then peak resident
# memory of `hwgq time` on the packed model and on the float prototxt, and of PyTorch.
#
#   bench/packed_inference.sh [DEPLOY] [ROUNDS]
# CPU_TIME=1 times with the process CPU clock on both sides (steadier on a shared machine;
# for one thread it is the latency, for two the total work).
# DEPLOY defaults to the authors' res18-hwgq-3ne-clip-poly-320k/deploy.prototxt, found in
# $HWGQ_REFERENCE_DIR or ../shared/reference/hwgq-official.
set -euo pipefail
cd "$(dirname "$0")/.."
REF=${HWGQ_REFERENCE_DIR:-../shared/reference/hwgq-official}
DEPLOY=${1:-$REF/imagenet/res18-hwgq-3ne-clip-poly-320k/deploy.prototxt}
ROUNDS=${2:-3}
BUILD=${BUILD:-build}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -f "$TCMALLOC" ] || { echo "install libtcmalloc-minimal4 (apt-get install libtcmalloc-minimal4)"; exit 1; }
[ -f "$DEPLOY" ] || { echo "no deploy prototxt at $DEPLOY"; exit 1; }
source bench/median.sh
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
CLOCK_HWGQ="" CLOCK_TORCH=""
if [ "${CPU_TIME:-0}" = "1" ]; then CLOCK_HWGQ="--cpu_time" CLOCK_TORCH="--cpu_time"; fi

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), kernel path: ${HWGQ_ISA:-best}"
# same_class: images whose class the float and packed nets agree on. With random weights
# nothing keeps BatchNorm outputs off the quantizer thresholds, so a rounding flip can
# spread through later layers (tests/models/packed_models_test.cpp separates the two).
printf '%-6s %-7s %10s %10s %10s %14s %16s %11s\n' batch threads float_ms packed_ms torch_ms float/packed torch/packed same_class
for batch in 1 16; do
  for threads in 1 2; do
    f=() p=() t=()
    for round in $(seq "$ROUNDS"); do
      read -r _ _ isa fm pm _ same _ < <(OMP_NUM_THREADS=$threads "$BUILD"/bin/hwgq_bench_packed --model="$DEPLOY" \
          --batch="$batch" --threads="$threads" --runs=7 $CLOCK_HWGQ)
      tm=$(LD_PRELOAD=$TCMALLOC OMP_NUM_THREADS=$threads /usr/bin/python3 bench/pytorch_resnet18_infer.py \
          --batch "$batch" --threads "$threads" --runs 7 $CLOCK_TORCH | awk '{print $5}')
      f+=("$fm") p+=("$pm") t+=("$tm")
    done
    F=$(median "${f[@]}") P=$(median "${p[@]}") T=$(median "${t[@]}")
    printf '%-6s %-7s %10s %10s %10s %14s %16s %11s   (%s)\n' "$batch" "$threads" "$F" "$P" "$T" \
      "$(awk -v a="$F" -v b="$P" 'BEGIN {printf "%.2f", a / b}')" \
      "$(awk -v a="$T" -v b="$P" 'BEGIN {printf "%.2f", a / b}')" "$same" "$isa"
  done
done

# Peak resident memory at batch 1, one thread: packed model vs float prototxt vs PyTorch.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$BUILD"/bin/hwgq_bench_packed --model="$DEPLOY" --batch=1 --runs=1 --write="$tmp/net" > /dev/null
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
PK=$(rss "$BUILD"/bin/hwgq time --model="$tmp/net.hwgq" --batch=1 --iterations=3 --threads=1)
FL=$(rss "$BUILD"/bin/hwgq time --model="$DEPLOY" --phase=TEST --batch=1 --iterations=3 --threads=1)
TR=$(LD_PRELOAD=$TCMALLOC /usr/bin/python3 bench/pytorch_resnet18_infer.py --batch 1 --threads 1 --runs 3 | awk '{print $6}')
echo "peak RSS, batch 1: packed $((PK / 1024)) MiB, float $((FL / 1024)) MiB, PyTorch ${TR} MiB;" \
     "files: packed $(stat -c %s "$tmp/net.hwgq") bytes, float caffemodel $(stat -c %s "$tmp/net.caffemodel") bytes"
