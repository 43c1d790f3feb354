#!/usr/bin/env bash
# Configures and builds hwgq into build/ (Release). Extra arguments go to cmake's
# configure step, e.g. scripts/build.sh -DHWGQ_USE_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" -j"$JOBS"
