#!/usr/bin/env bash
# How much of its speed a training iteration keeps when the cores are shared: the
# LeNet-HWGQ training iteration (hwgq_bench, batch 64, the library's default threads) and
# PyTorch's LeNet training iteration (2 threads, tcmalloc, channels_last), each
#   alone,
#   as one of two identical trainings started at once (the mean of the pair), and
#   beside two `nice -n 19` busy loops.
# Rounds alternate the engines; the medians and "kept" = alone / loaded are printed.
# Engines: hwgq (its own thread waiting), hwgq-gomp-default (GNU OpenMP's own default,
# 300,000 spins before sleeping: hwgq before it chose), hwgq-passive
# (OMP_WAIT_POLICY=passive), hwgq-spin-N (GOMP_SPINCOUNT=N), torch.
#
#   bench/under_load.sh [ROUNDS] [ITERATIONS]
#   ENGINES="hwgq torch" bench/under_load.sh 5 30
#
# Needs $BUILD/bin/hwgq_bench (BUILD=build) and Debian's python3-torch with
# libtcmalloc-minimal4.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
ITERATIONS=${2:-30}
BUILD=${BUILD:-build}
ENGINES=${ENGINES:-hwgq hwgq-gomp-default hwgq-passive torch}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
[ -f "$TCMALLOC" ] || { echo "install libtcmalloc-minimal4 (apt-get install libtcmalloc-minimal4)"; exit 1; }
source bench/median.sh

# Whatever the caller's shell exported must not decide the comparison.
unset OMP_WAIT_POLICY GOMP_SPINCOUNT OMP_NUM_THREADS HWGQ_THREAD_WAIT_POLICY_SET

hwgq_with() {
  env "$@" "$BUILD"/bin/hwgq_bench --model=bench/nets/lenet_hwgq.prototxt --batch=64 \
    --iterations="$ITERS" --repeats=3 2>/dev/null | awk '/median/ {print $2}'
}
run_engine() {
  ITERS=$2
  case "$1" in
    hwgq) hwgq_with ;;
    hwgq-gomp-default) hwgq_with GOMP_SPINCOUNT=300000 ;;
    hwgq-passive) hwgq_with OMP_WAIT_POLICY=passive ;;
    hwgq-spin-*) hwgq_with GOMP_SPINCOUNT="${1#hwgq-spin-}" ;;
    torch) torch_once ;;
    *) echo "unknown engine $1" >&2; exit 2 ;;
  esac
}
torch_once() {
  LD_PRELOAD=$TCMALLOC /usr/bin/python3 bench/lenet_pytorch.py --threads 2 --batch 64 \
    --iterations "$ITERS" --repeats 3 2>/dev/null | awk '/median/ {print $2}'
}
# The mean milliseconds of two identical runs started together.
pair() {
  local a b first second
  a=$(mktemp) b=$(mktemp)
  run_engine "$1" "$2" >"$a" &
  run_engine "$1" "$2" >"$b"
  wait
  first=$(cat "$a") second=$(cat "$b")
  rm -f "$a" "$b"
  awk -v x="$first" -v y="$second" 'BEGIN {printf "%.3f", (x + y) / 2}'
}
beside_busy_loops() {
  nice -n 19 sh -c 'while :; do :; done' & local l1=$!
  nice -n 19 sh -c 'while :; do :; done' & local l2=$!
  run_engine "$1" "$2"
  kill "$l1" "$l2"
  wait "$l1" "$l2" 2>/dev/null || true
}

declare -A ms
ITERS=0
for engine in $ENGINES; do for load in alone pair busy; do ms[$engine.$load]=""; done; done
for round in $(seq "$ROUNDS"); do
  for engine in $ENGINES; do
    a=$(run_engine "$engine" "$ITERATIONS")
    # A pair of spinning trainings can be ten times slower: fewer iterations keep it short.
    p=$(pair "$engine" $(( (ITERATIONS + 2) / 3 )))
    b=$(beside_busy_loops "$engine" "$ITERATIONS")
    echo "round $round $engine: alone $a ms, one of two $p ms, beside two nice-19 loops $b ms"
    ms[$engine.alone]+=" $a" ms[$engine.pair]+=" $p" ms[$engine.busy]+=" $b"
  done
done
echo "CPU: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores"
for engine in $ENGINES; do
  A=$(median ${ms[$engine.alone]}) P=$(median ${ms[$engine.pair]}) B=$(median ${ms[$engine.busy]})
  awk -v e="$engine" -v a="$A" -v p="$P" -v b="$B" 'BEGIN {
    printf "%s: alone %.2f ms; one of two %.2f ms (kept %.0f %%); beside two nice-19 loops %.2f ms (kept %.0f %%)\n",
           e, a, p, 100 * a / p, b, 100 * a / b }'
done
