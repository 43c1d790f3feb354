#!/usr/bin/env bash
# Top-1 and top-5 accuracy of a trained ImageNet model over the whole ILSVRC-2012
# validation set (models/imagenet/README.md). Builds the validation LMDB first when it is
# not there yet.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
usage: scripts/eval_imagenet.sh [options] MODEL_DIR WEIGHTS

Runs the TEST phase of MODEL_DIR/train_val.prototxt (e.g. models/imagenet/resnet18/hwgq)
with WEIGHTS (a .caffemodel) once over every validation image and prints top-1 and top-5.

The validation LMDB (default data/imagenet/ilsvrc12_val_lmdb under the repository root,
the path the models name) is built first when it does not exist, from --val-dir and
--val-list: hwgq convert_imageset with every image resized to 256x256, from which the
nets take their centre 224x224 (227x227 for AlexNet) crop.

options:
  --val-dir=DIR     folder of the validation images (ILSVRC2012_val_00000001.JPEG, ...)
  --val-list=FILE   one "file label" line per image (Caffe's val.txt; labels 0-999)
  --lmdb=PATH       the validation LMDB to read, or to build (default
                    data/imagenet/ilsvrc12_val_lmdb)
  --mean=FILE       also write the LMDB's mean image to FILE (.binaryproto); optional,
                    since the models subtract mean_value 104 117 123
  --gpu=N           evaluate on GPU N (default: the CPU)
  --hwgq=PATH       the hwgq tool (default build/bin/hwgq)
  --dry-run         print the commands instead of running them
  -h, --help        this text
EOF
}

fail() {
  echo "eval_imagenet.sh: error: $*" >&2
  exit 1
}

bad_usage() {
  echo "eval_imagenet.sh: $*" >&2
  usage >&2
  exit 2
}

VAL_DIR="" VAL_LIST="" LMDB="$ROOT/data/imagenet/ilsvrc12_val_lmdb" MEAN="" GPU="" HWGQ="$ROOT/build/bin/hwgq"
DRY_RUN=0
POSITIONAL=()
for arg in "$@"; do
  case "$arg" in
    --val-dir=*) VAL_DIR=${arg#*=} ;;
    --val-list=*) VAL_LIST=${arg#*=} ;;
    --lmdb=*) LMDB=${arg#*=} ;;
    --mean=*) MEAN=${arg#*=} ;;
    --gpu=*) GPU=${arg#*=} ;;
    --hwgq=*) HWGQ=${arg#*=} ;;
    --dry-run) DRY_RUN=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*) bad_usage "unknown option $arg" ;;
    *) POSITIONAL+=("$arg") ;;
  esac
done
[ ${#POSITIONAL[@]} -eq 2 ] || bad_usage "expected MODEL_DIR and WEIGHTS, got ${#POSITIONAL[@]} argument(s)"
MODEL_DIR=${POSITIONAL[0]}
WEIGHTS=${POSITIONAL[1]}

[ -f "$MODEL_DIR/train_val.prototxt" ] || fail "no train_val.prototxt in $MODEL_DIR"
[ -f "$WEIGHTS" ] || fail "weights $WEIGHTS not found"
if [ -n "$GPU" ]; then
  [[ "$GPU" =~ ^[0-9]+$ ]] || fail "--gpu must be a GPU number, got \"$GPU\""
fi
BUILD_LMDB=0
if [ ! -e "$LMDB" ]; then
  if [ -z "$VAL_DIR" ] || [ -z "$VAL_LIST" ]; then
    fail "$LMDB does not exist; give --val-dir and --val-list to build it (or --lmdb=PATH to an existing one)"
  fi
  [ -d "$VAL_DIR" ] || fail "--val-dir $VAL_DIR is not a folder"
  [ -f "$VAL_LIST" ] || fail "--val-list $VAL_LIST not found"
  BUILD_LMDB=1
elif [ -n "$VAL_DIR" ] || [ -n "$VAL_LIST" ]; then
  echo "eval_imagenet.sh: $LMDB exists; using it as it is (remove it to rebuild)" >&2
fi
if [ "$DRY_RUN" = 0 ]; then
  [ -x "$HWGQ" ] || fail "$HWGQ is not an executable hwgq tool (build it, or give --hwgq=PATH)"
fi

# The models name the LMDB relative to the repository root: a copy of the net reads the
# chosen one by its absolute path instead, so the script runs from any folder.
case "$LMDB" in
  /*) LMDB_ABS=$LMDB ;;
  *) LMDB_ABS=$PWD/$LMDB ;;
esac
if [ "$BUILD_LMDB" = 1 ] && [ "$DRY_RUN" = 0 ]; then mkdir -p "$(dirname "$LMDB")"; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
MODEL="$WORK/train_val.prototxt"
sed "s#\"data/imagenet/ilsvrc12_val_lmdb\"#\"$LMDB_ABS\"#" "$MODEL_DIR/train_val.prototxt" >"$MODEL"

run() {
  echo "+ $*" >&2
  if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

if [ "$BUILD_LMDB" = 1 ]; then
  run "$HWGQ" convert_imageset --resize_height=256 --resize_width=256 "${VAL_DIR%/}/" "$VAL_LIST" "$LMDB"
fi
if [ -n "$MEAN" ]; then
  run "$HWGQ" compute_image_mean "$LMDB" "$MEAN"
fi
TEST_ARGS=(test "--model=$MODEL" "--weights=$WEIGHTS" --iterations=0)
if [ -n "$GPU" ]; then TEST_ARGS+=("--gpu=$GPU"); fi
echo "# $MODEL is $MODEL_DIR/train_val.prototxt reading $LMDB_ABS" >&2
run "$HWGQ" "${TEST_ARGS[@]}" | tee "$WORK/means"
if [ "$DRY_RUN" = 0 ]; then
  top1=$(sed -n 's/^accuracy[-_]top1 = \([0-9.e-]*\).*/\1/p' "$WORK/means")
  top5=$(sed -n 's/^accuracy[-_]top5 = \([0-9.e-]*\).*/\1/p' "$WORK/means")
  if [ -n "$top1" ] && [ -n "$top5" ]; then
    echo "$MODEL_DIR with $WEIGHTS: top-1 $top1, top-5 $top5"
  fi
fi
