#!/usr/bin/env bash
# Per-layer forward / backward times of every convolution of a net, im2col + OpenBLAS
# against oneDNN (HWGQ_CONV_ENGINE forced), the two runs alternating, medians over rounds.
#   bench/conv_engines.sh NET BATCH THREADS ROUNDS [ITERATIONS]
# e.g. bench/conv_engines.sh bench/nets/alexnet_hwgq.prototxt 16 2 5
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/median.sh
net=$1 batch=$2 threads=$3 rounds=$4 iterations=${5:-3}
bin=${HWGQ_BIN:-build-cpu/bin/hwgq}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The (Binary)Convolution layers, in net order.
convs=$(awk '/^ *name:/ {gsub(/"/, "", $2); name=$2} /^ *type: "(Binary)?Convolution"/ {print name}' "$net")

for round in $(seq "$rounds"); do
  for engine in im2col dnnl; do
    HWGQ_CONV_ENGINE=$engine "$bin" time --model="$net" --phase=TRAIN --batch="$batch" --threads="$threads" \
      --iterations="$iterations" 2> "$work/$engine.$round.log" > /dev/null
  done
done

# One line per layer and pass: the median of the rounds for each engine and their ratio.
printf '%-12s %-9s %10s %10s %8s\n' layer pass im2col_ms dnnl_ms ratio
total_i=0 total_d=0
for layer in $convs; do
  for pass in forward backward; do
    values() { grep -h -E "^.* +$layer"$'\t'"$pass: " "$work"/$1.*.log | sed -E 's/.*: ([0-9.e+-]+) ms\./\1/'; }
    i=$(median $(values im2col)) d=$(median $(values dnnl))
    printf '%-12s %-9s %10.2f %10.2f %8.2f\n' "$layer" "$pass" "$i" "$d" "$(echo "$i / $d" | bc -l)"
    total_i=$(echo "$total_i + $i" | bc -l) total_d=$(echo "$total_d + $d" | bc -l)
  done
done
printf '%-12s %-9s %10.2f %10.2f %8.2f\n' all both "$total_i" "$total_d" "$(echo "$total_i / $total_d" | bc -l)"
