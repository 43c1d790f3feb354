#!/usr/bin/env bash
# Soak: a long training run, cut into SEGMENTS processes of SEGMENT_ITERS iterations each
# (every segment after the first resumes the last one's .solverstate), snapshotting every
# SNAPSHOT iterations, with the resident size of the training process sampled every second.
# Prints each segment's steady-state and final RSS and its growth in KiB per 1000
# iterations (bench/soak_monitor.py), then trains the same iterations uninterrupted and
# checks that the resumed run's final weights are byte-identical.
#
#   bench/soak.sh [SEGMENTS] [SEGMENT_ITERS] [SNAPSHOT]        (defaults 5 1000 250)
#
# MODEL=lenet (default): the Fashion-MNIST LeNet-HWGQ (binary weights, 2-bit HWGQ
#   activations) on the IdxData layer; needs /usr/share/datasets/fashion-mnist.
# MODEL=lmdb: a small ImageNet-style HWGQ net (BatchNorm, Quant, BinaryConvolution) on a
#   Data layer over an LMDB of PNG records that convert_imageset --resize makes from
#   generated images, so decoding, cropping, mirroring and the prefetch threads run too.
# BUILD (default build) holds bin/hwgq; OUT (default out/soak-$MODEL) is cleared first;
# THREADS (default 2) is OMP_NUM_THREADS; CHECK_RESUME=0 skips the uninterrupted run.
# Writes $OUT/rss.csv (seconds,segment,iteration,rss_kib,hwm_kib) and the training logs.
set -euo pipefail
cd "$(dirname "$0")/.."
SEGMENTS=${1:-5}
SEGMENT_ITERS=${2:-1000}
SNAPSHOT=${3:-250}
MODEL=${MODEL:-lenet}
BUILD=${BUILD:-build}
OUT=${OUT:-out/soak-$MODEL}
THREADS=${THREADS:-2}
CHECK_RESUME=${CHECK_RESUME:-1}
HWGQ=$BUILD/bin/hwgq
[ -x "$HWGQ" ] || { echo "no $HWGQ; build first (or set BUILD)"; exit 1; }
(( SEGMENT_ITERS % SNAPSHOT == 0 )) || { echo "SEGMENT_ITERS must be a multiple of SNAPSHOT"; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"
export OMP_NUM_THREADS=$THREADS

case "$MODEL" in
  lenet)
    [ -d /usr/share/datasets/fashion-mnist ] || { echo "needs /usr/share/datasets/fashion-mnist"; exit 1; }
    NET=models/fashion_mnist/lenet-hwgq-relu/train_val.prototxt
    TEST_ITER=20
    ;;
  lmdb)
    # 256 images of random sizes (40-72 pixels a side), 10 classes, written as PNGs, then
    # resized to 40 x 40 and stored as PNG records.
    /usr/bin/python3 - "$OUT/images" <<'PY'
import os, random, struct, sys, zlib
root = sys.argv[1]
os.makedirs(root)
rng = random.Random(7)
def png(path, width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + bytes(row) for row in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
with open(os.path.join(root, "list.txt"), "w") as listing:
    for i in range(256):
        label = i % 10
        w, h = rng.randint(40, 72), rng.randint(40, 72)
        # A class-dependent colour gradient plus noise: learnable, and every image differs.
        rows = [[min(255, max(0, (x * (label + 1) * 3 + y * 2 + 40 * c * (label % 3) + rng.randint(-20, 20)) % 256))
                 for x in range(w) for c in range(3)] for y in range(h)]
        png(os.path.join(root, f"{i:03d}.png"), w, h, rows)
        listing.write(f"{i:03d}.png {label}\n")
PY
    "$HWGQ" convert_imageset --resize_height=40 --resize_width=40 --encoded --encode_type=png --shuffle \
      "$OUT/images/" "$OUT/images/list.txt" "$OUT/lmdb" > "$OUT/convert.log" 2>&1
    NET=$OUT/net.prototxt
    TEST_ITER=8
    data_layer() {  # phase batch mirror
      cat <<EOF
layer {
  name: "data" type: "Data" top: "data" top: "label"
  include { phase: $1 }
  transform_param { mirror: $3 crop_size: 32 mean_value: 104 mean_value: 117 mean_value: 123 scale: 0.0078125 }
  data_param { source: "$OUT/lmdb" batch_size: $2 backend: LMDB }
}
EOF
    }
    quant() {  # name bottom
      cat <<EOF
layer { name: "bn_$1" type: "BatchNorm" bottom: "$2" top: "$2" param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 } }
layer {
  name: "$1" type: "Quant" bottom: "$2" top: "$1"
  quant_param { forward_func: "hwgq" backward_func: "relu" centers: 0.538 centers: 1.076 centers: 1.614 clip_thr: 1.614 }
}
EOF
    }
    {
      echo 'name: "soak-lmdb-hwgq"'
      data_layer TRAIN 32 true
      data_layer TEST 32 false
      cat <<'EOF'
layer {
  name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 16 kernel_size: 3 pad: 1 bias_term: false weight_filler { type: "msra" } }
}
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
EOF
      quant q2 pool1
      cat <<'EOF'
layer {
  name: "conv2" type: "BinaryConvolution" bottom: "q2" top: "conv2"
  convolution_param { num_output: 32 kernel_size: 3 pad: 1 bias_term: false weight_filler { type: "msra" } }
  binary_convolution_param { use_alpha: true }
}
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
EOF
      quant q3 pool2
      cat <<'EOF'
layer {
  name: "fc" type: "InnerProduct" bottom: "q3" top: "fc"
  inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.01 } }
}
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
layer { name: "accuracy" type: "Accuracy" bottom: "fc" bottom: "label" top: "accuracy" include { phase: TEST } }
EOF
    } > "$NET"
    ;;
  *) echo "MODEL must be lenet or lmdb"; exit 1 ;;
esac

# A step learning rate does not depend on max_iter, so a segment (max_iter = its end) follows
# the same schedule as the uninterrupted run; no end-of-run BatchNorm recalibration, which
# would change the weights at every segment end.
write_solver() {  # file prefix max_iter
  cat > "$1" <<EOF
net: "$NET"
test_iter: $TEST_ITER
test_interval: $SNAPSHOT
base_lr: 0.01
lr_policy: "step"
gamma: 0.5
stepsize: 2000
momentum: 0.9
weight_decay: 0.0005
display: 20
max_iter: $3
snapshot: $SNAPSHOT
snapshot_prefix: "$2"
solver_mode: CPU
random_seed: 1
EOF
}

CSV=$OUT/rss.csv
echo "seconds,segment,iteration,rss_kib,hwm_kib" > "$CSV"
resume=()
for segment in $(seq "$SEGMENTS"); do
  end=$((segment * SEGMENT_ITERS))
  write_solver "$OUT/solver_$segment.prototxt" "$OUT/soak/run" "$end"
  log=$OUT/segment_$segment.log
  "$HWGQ" train --solver="$OUT/solver_$segment.prototxt" "${resume[@]}" > "$log" 2>&1 &
  pid=$!
  /usr/bin/python3 bench/soak_monitor.py sample "$pid" "$log" "$segment" $((end - SEGMENT_ITERS)) >> "$CSV" || true
  wait "$pid" || { echo "segment $segment failed:"; tail -5 "$log"; exit 1; }
  resume=(--snapshot="$OUT/soak/run_iter_$end.solverstate")
  echo "segment $segment: iterations $(((segment - 1) * SEGMENT_ITERS))-$end done"
done

echo
echo "$MODEL: $SEGMENTS segments x $SEGMENT_ITERS iterations, snapshot every $SNAPSHOT, $THREADS threads"
/usr/bin/python3 bench/soak_monitor.py report "$CSV"

if [ "$CHECK_RESUME" = 1 ]; then
  total=$((SEGMENTS * SEGMENT_ITERS))
  write_solver "$OUT/solver_uninterrupted.prototxt" "$OUT/uninterrupted/run" "$total"
  "$HWGQ" train --solver="$OUT/solver_uninterrupted.prototxt" > "$OUT/uninterrupted.log" 2>&1
  if cmp -s "$OUT/soak/run_iter_$total.caffemodel" "$OUT/uninterrupted/run_iter_$total.caffemodel"; then
    echo "resume: the final weights after $((SEGMENTS - 1)) resumes equal the uninterrupted run's, byte for byte"
  else
    echo "resume: the final weights DIFFER from the uninterrupted run's"
    exit 1
  fi
fi
