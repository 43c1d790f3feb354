#!/usr/bin/env bash
# Remakes the committed seed corpus, fuzz/corpus/<target>/, from a HWGQ_FUZZ build:
# generated files (hwgq_fuzz_corpus: a tiny net's caffemodel and solverstates, Datums,
# IDX files, JPEG and PNG images), a few real prototxts from models/, and a packed model
# written by `hwgq export`.
#
# usage: fuzz/make_corpus.sh [BUILD_DIR]   (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-fuzz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BUILD/bin/hwgq_fuzz_corpus" "$work"
rm -rf fuzz/corpus
mkdir -p fuzz/corpus/packed_model_fuzzer
for dir in "$work"/*_fuzzer; do mv "$dir" fuzz/corpus/; done

# Real models: lowered to the fuzzer's integer bound when run, but their structure
# (phase rules, in-place layers, every layer type) seeds the mutations.
cp models/fashion_mnist/lenet/train_val.prototxt fuzz/corpus/prototxt_net_fuzzer/lenet_train_val.prototxt
cp models/fashion_mnist/lenet-hwgq-relu/train_val.prototxt fuzz/corpus/prototxt_net_fuzzer/lenet_hwgq_train_val.prototxt
cp models/imagenet/resnet18/hwgq/deploy.prototxt fuzz/corpus/prototxt_net_fuzzer/resnet18_hwgq_deploy.prototxt
cp models/imagenet/alexnet/hwgq/deploy.prototxt fuzz/corpus/prototxt_net_fuzzer/alexnet_hwgq_deploy.prototxt

"$BUILD/bin/hwgq" export --model="$work/work/tiny_deploy.prototxt" --weights="$work/work/tiny.caffemodel" \
  --output=fuzz/corpus/packed_model_fuzzer/tiny.hwgqpack >/dev/null

du -sh fuzz/corpus
