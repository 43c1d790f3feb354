#!/bin/bash
# What synchronized BatchNorm costs: Fashion-MNIST LeNet (models/fashion_mnist/lenet,
# three BatchNorm layers) trained on 2 ranks (one thread each, batch 64 per rank, shared
# memory), rounds alternating per-rank statistics and --sync_batch_norm. Each run trains
# ITERS + 1 iterations; ms/iteration is taken from the metrics file's wall clock between
# iteration 100 and the last (start-up and the first iterations excluded).
#
#   bench/sync_batch_norm_cost.sh [ROUNDS] [ITERS]   # from the repository root; ITERS: a multiple of 100
set -euo pipefail
ROUNDS=${1:-5}
ITERS=${2:-400}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
HWGQ=${HWGQ:-build/bin/hwgq}
source "$(dirname "$0")/median.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/solver.prototxt" <<SOLVER
net: "models/fashion_mnist/lenet/train_val.prototxt"
test_iter: 1
test_interval: 100000000
test_initialization: false
base_lr: 0.01
lr_policy: "fixed"
momentum: 0.9
weight_decay: 0.0005
display: 100
max_iter: $((ITERS + 1))
snapshot_prefix: "$dir/lenet"
random_seed: 1
SOLVER
# ms per iteration from iteration 100 to the last, read from a metrics file.
ms_per_iteration() {
  awk -v last="$ITERS" '
    { match($0, /"iteration": *[0-9]+/); it = substr($0, RSTART, RLENGTH); sub(/.*: */, "", it)
      match($0, /"wall_s": *[0-9.e+-]+/); w = substr($0, RSTART, RLENGTH); sub(/.*: */, "", w)
      if (it == 100) w0 = w; if (it == last) w1 = w }
    END { printf "%.2f\n", 1000 * (w1 - w0) / (last - 100) }' "$1"
}
own=() sync=()
for round in $(seq "$ROUNDS"); do
  for flag in "" "--sync_batch_norm"; do
    rm -f "$dir/metrics.jsonl"
    mpirun --oversubscribe --bind-to none --mca btl self,vader -np 2 "$HWGQ" train --threads=1 \
      --solver="$dir/solver.prototxt" --metrics="$dir/metrics.jsonl" $flag > "$dir/log" 2>&1 ||
      { cat "$dir/log"; exit 1; }
    ms=$(ms_per_iteration "$dir/metrics.jsonl")
    echo "round $round ${flag:-per-rank statistics}: $ms ms/iteration"
    if [ -n "$flag" ]; then sync+=("$ms"); else own+=("$ms"); fi
  done
done
echo "median per-rank statistics: $(median "${own[@]}") ms/iteration"
echo "median --sync_batch_norm:   $(median "${sync[@]}") ms/iteration"
