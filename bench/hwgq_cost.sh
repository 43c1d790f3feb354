#!/usr/bin/env bash
# What binary weights and the HWGQ quantizer cost on the CPU: `hwgq time` of one training
# iteration (forward + backward) of the BW+HWGQ LeNet against the full-precision LeNet,
# same batch and threads, alternating ROUNDS times; prints the medians and their ratio.
#
#   bench/hwgq_cost.sh [THREADS] [BATCH] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
BATCH=${2:-64}
ROUNDS=${3:-7}
BUILD=${BUILD:-build}
run() {
  OMP_NUM_THREADS=$THREADS "$BUILD"/bin/hwgq time --model="bench/nets/$1.prototxt" --iterations=50 --batch="$BATCH" \
    --threads="$THREADS" 2>&1 | awk '/Average Forward-Backward/ {print $(NF-1)}'
}
fp=()
hq=()
for round in $(seq "$ROUNDS"); do
  f=$(run lenet)
  h=$(run lenet_hwgq)
  echo "round $round: full precision $f ms, BW+HWGQ $h ms"
  fp+=("$f")
  hq+=("$h")
done
source bench/median.sh
F=$(median "${fp[@]}")
H=$(median "${hq[@]}")
echo "LeNet forward+backward, batch $BATCH, $THREADS threads: full precision $F ms, BW+HWGQ $H ms," \
     "BW+HWGQ / full precision = $(awk -v f="$F" -v h="$H" 'BEGIN {printf "%.3f", h / f}')"
