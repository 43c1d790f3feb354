#!/usr/bin/env bash
# From a fresh Debian machine to a trained model: installs dependencies, builds hwgq,
# trains the full-precision LeNet on Fashion-MNIST (10,000 iterations), evaluates the
# final weights on the 10,000 test images and prints the test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
bash scripts/build.sh

mkdir -p out/fashion_mnist/lenet
echo "== Training models/fashion_mnist/lenet (log: out/fashion_mnist/lenet/train.log) =="
build/bin/hwgq train --solver=models/fashion_mnist/lenet/solver.prototxt 2>&1 | tee out/fashion_mnist/lenet/train.log

echo "== Testing the final weights =="
build/bin/hwgq test --model=models/fashion_mnist/lenet/train_val.prototxt \
  --weights=out/fashion_mnist/lenet/lenet_iter_10000.caffemodel --iterations=100 2>&1 |
  tee out/fashion_mnist/lenet/test.log
accuracy=$(grep -E "^accuracy = " out/fashion_mnist/lenet/test.log | tail -n 1 | sed "s/accuracy = //")
echo "Fashion-MNIST test accuracy (10,000 images): ${accuracy}"
