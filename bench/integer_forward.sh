#!/usr/bin/env bash
# Training iteration time with the integer forward of binary layers on and off
# (hwgq_bench --integer_forward), alternating ROUNDS times on the same net, batch and
# threads; prints every round, the medians and their ratio.
#
#   bench/integer_forward.sh MODEL BATCH [THREADS] [ROUNDS] [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$1
BATCH=$2
THREADS=${3:-2}
ROUNDS=${4:-5}
ITERATIONS=${5:-10}
BUILD=${BUILD:-build}
run() {
  OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=passive "$BUILD"/bin/hwgq_bench --model="$MODEL" --batch="$BATCH" \
    --threads="$THREADS" --iterations="$ITERATIONS" --repeats=1 --integer_forward="$1" 2>/dev/null |
    awk '/^median/ {print $2}'
}
on=()
off=()
for round in $(seq "$ROUNDS"); do
  a=$(run true)
  b=$(run false)
  echo "round $round: integer $a ms, float $b ms"
  on+=("$a")
  off+=("$b")
done
source bench/median.sh
A=$(median "${on[@]}")
B=$(median "${off[@]}")
echo "$MODEL batch $BATCH, $THREADS threads: integer forward $A ms/iter, float forward $B ms/iter," \
     "integer / float = $(awk -v a="$A" -v b="$B" 'BEGIN {printf "%.3f", a / b}')"
