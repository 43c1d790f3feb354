#!/usr/bin/env bash
# One training iteration of the Fashion-MNIST LeNet (batch 64 by default) in hwgq and in
# PyTorch, same batch and thread count, measured in one run: the two alternate ROUNDS
# times and the ratio of the medians is printed. Needs build/bin/hwgq_bench (or $BUILD/bin) and Debian's
# python3-torch (+ libtcmalloc-minimal4, which PyTorch runs with, as it is fastest so).
#
#   bench/lenet_vs_pytorch.sh [THREADS] [BATCH] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
BATCH=${2:-64}
ROUNDS=${3:-3}
BUILD=${BUILD:-build}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -f "$TCMALLOC" ] || { echo "install libtcmalloc-minimal4 (apt-get install libtcmalloc-minimal4)"; exit 1; }

hwgq_ms=()
torch_ms=()
for round in $(seq "$ROUNDS"); do
  h=$(OMP_NUM_THREADS=$THREADS "$BUILD"/bin/hwgq_bench --model=bench/nets/lenet.prototxt --threads="$THREADS" \
        --batch="$BATCH" --iterations=50 --repeats=5 | awk '/median/ {print $2}')
  t=$(LD_PRELOAD=$TCMALLOC OMP_NUM_THREADS=$THREADS /usr/bin/python3 bench/lenet_pytorch.py --threads "$THREADS" \
        --batch "$BATCH" --iterations 50 --repeats 5 | awk '/median/ {print $2}')
  echo "round $round: hwgq $h ms/iter, pytorch $t ms/iter"
  hwgq_ms+=("$h")
  torch_ms+=("$t")
done
source bench/median.sh
H=$(median "${hwgq_ms[@]}")
T=$(median "${torch_ms[@]}")
echo "LeNet training iteration, batch $BATCH, $THREADS threads: hwgq $H ms, PyTorch $T ms," \
     "PyTorch/hwgq = $(awk -v h="$H" -v t="$T" 'BEGIN {printf "%.2f", t / h}')"
