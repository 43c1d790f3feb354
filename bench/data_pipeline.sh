#!/usr/bin/env bash
# The image input pipeline (docs/benchmarks.md, "Data pipeline"): generates COUNT 256x256
# JPEGs (quality 90) and an LMDB of them, then measures decoded + cropped (227) + mirrored
# images per second, and per CPU core, of the Data layer (LMDB) and the ImageData layer
# (image list) with 1 and 2 decode threads, ROUNDS rounds each (medians); then trains
# AlexNet-HWGQ (models/imagenet/alexnet/hwgq/train_val.prototxt) at batch 16 from the LMDB
# and reports how long each iteration waited for data.
#
#   bench/data_pipeline.sh [COUNT] [ROUNDS]      # defaults: 1000 images, 3 rounds
# BUILD=build-cpu picks another build folder; WORK=DIR keeps the generated data there
# (default: a temporary folder, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
COUNT=${1:-1000}
ROUNDS=${2:-3}
source bench/median.sh
if [ -n "${WORK:-}" ]; then mkdir -p "$WORK"; else WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT; fi
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores; load: $(uptime | sed 's/.*load/load/')"

if [ ! -f "$WORK/lmdb/data.mdb" ]; then
  "$BUILD"/bin/hwgq_bench_data --make_images="$WORK" --count="$COUNT"
  "$BUILD"/bin/hwgq convert_imageset --encoded "$WORK/images/" "$WORK/list.txt" "$WORK/lmdb"
fi

printf '%-24s %-14s %12s %16s\n' source decode_threads images/s images/s/core
for source in lmdb list; do
  for threads in 1 2; do
    wall=() core=()
    for round in $(seq "$ROUNDS"); do
      if [ "$source" = lmdb ]; then args=(--lmdb="$WORK/lmdb"); else args=(--list="$WORK/list.txt" --root="$WORK/images/"); fi
      line=$("$BUILD"/bin/hwgq_bench_data "${args[@]}" --decode_threads="$threads" --batch=64 --batches=10 --repeats=3 |
             tail -1)
      wall+=("$(sed 's/.*median \([0-9.]*\) images\/s,.*/\1/' <<<"$line")")
      core+=("$(sed 's/.*, \([0-9.]*\) images\/s per core.*/\1/' <<<"$line")")
    done
    name=$([ "$source" = lmdb ] && echo "Data (LMDB)" || echo "ImageData (list)")
    printf '%-24s %-14s %12s %16s\n' "$name" "$threads" "$(median "${wall[@]}")" "$(median "${core[@]}")"
  done
done

echo "AlexNet-HWGQ training, batch 16, from the LMDB:"
for threads in 1 2; do
  "$BUILD"/bin/hwgq_bench_data --lmdb="$WORK/lmdb" --train=models/imagenet/alexnet/hwgq/train_val.prototxt \
    --batch=16 --decode_threads="$threads" --iterations=10
done
echo "load after: $(uptime | sed 's/.*load/load/')"
