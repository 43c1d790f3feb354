#!/usr/bin/env bash
# What folding BatchNorm into the Quant after it saves at inference on the CPU: `hwgq time
# --phase=TEST` of a deploy net as written (folding on, the default) and with
# `fuse_batch_norm_quant: false`, same batch and threads, alternating ROUNDS times. Prints
# the medians of the whole forward pass and of the folded BatchNorm + Quant layers' own
# forward times.
#
#   bench/fusion_cost.sh [MODEL] [BATCH] [ROUNDS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/imagenet/alexnet/hwgq/deploy.prototxt}
BATCH=${2:-8}
ROUNDS=${3:-5}
THREADS=${4:-2}
ITERATIONS=${ITERATIONS:-10}
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ echo "fuse_batch_norm_quant: false"; cat "$MODEL"; } > "$tmp/unfused.prototxt"

# Prints "<forward ms> <BatchNorm+Quant ms>" for one run; the pairs are those the folded
# run's log names.
run() {
  OMP_NUM_THREADS=$THREADS "$BUILD"/bin/hwgq time --model="$1" --phase=TEST --batch="$BATCH" \
    --iterations="$ITERATIONS" --threads="$THREADS" > "$tmp/log" 2>&1
  awk -v pairs="$PAIRS" '
    BEGIN { n = split(pairs, names, " "); for (i = 1; i <= n; i++) wanted[names[i]] = 1 }
    /\tforward: / { split($0, parts, "\t"); name = parts[1]; sub(/.* /, "", name);
                    if (name in wanted) { v = parts[2]; sub(/forward: /, "", v); sum += v } }
    /Average Forward pass:/ { total = $(NF-1) }
    END { printf "%s %.4f\n", total, sum }' "$tmp/log"
}
OMP_NUM_THREADS=$THREADS "$BUILD"/bin/hwgq time --model="$MODEL" --phase=TEST --batch="$BATCH" --iterations=1 \
  --threads="$THREADS" > "$tmp/probe" 2>&1
PAIRS=$(sed -n 's/.*BatchNorm "\([^"]*\)" folded into Quant "\([^"]*\)".*/\1 \2/p' "$tmp/probe" | tr '\n' ' ')
[ -n "$PAIRS" ] || { echo "no BatchNorm is folded into a Quant in $MODEL" >&2; exit 1; }
echo "folded pairs: $PAIRS"
fused_total=(); fused_pairs=(); plain_total=(); plain_pairs=()
for round in $(seq "$ROUNDS"); do
  read -r ft fp < <(run "$MODEL")
  read -r ut up < <(run "$tmp/unfused.prototxt")
  echo "round $round: folded $ft ms (pairs $fp ms), unfolded $ut ms (pairs $up ms)"
  fused_total+=("$ft"); fused_pairs+=("$fp"); plain_total+=("$ut"); plain_pairs+=("$up")
done
source bench/median.sh
FT=$(median "${fused_total[@]}"); FP=$(median "${fused_pairs[@]}")
UT=$(median "${plain_total[@]}"); UP=$(median "${plain_pairs[@]}")
echo "$MODEL, batch $BATCH, $THREADS threads, medians of $ROUNDS: forward folded $FT ms, unfolded $UT ms;" \
     "BatchNorm+Quant folded $FP ms, unfolded $UP ms (unfolded / folded = $(awk -v a="$UP" -v b="$FP" 'BEGIN {printf "%.2f", a / b}'))"
