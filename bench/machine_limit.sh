#!/usr/bin/env bash
# The machine's limit for float training (docs/benchmarks.md, "Machine limit (FP32 FMA
# peak)"): the FP32 FMA peak on 1 and all threads per vector ISA, then for every
# bench/nets Input-layer net one training iteration's arithmetic, its time at that peak,
# the measured iteration and every convolution / inner product's forward and backward
# next to its own time at the peak.
#
#   bench/machine_limit.sh [THREADS]      # THREADS: default all cores (nproc)
# BUILD=build-cpu picks another build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
THREADS=${1:-$(nproc)}
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores; load: $(uptime | sed 's/.*load/load/')"
"$BUILD"/bin/hwgq_bench_peak --threads="$THREADS"
run() { "$BUILD"/bin/hwgq_bench_peak --threads="$THREADS" --repeats=5 --fma_iterations=20000000 --time "$@" | sed -n '/^net /,$p'; }
run --model=bench/nets/lenet.prototxt --batch=64 --iterations=20
run --model=bench/nets/lenet_hwgq.prototxt --batch=64 --iterations=20
run --model=bench/nets/alexnet_hwgq.prototxt --batch=16 --classes=1000 --iterations=2
run --model=bench/nets/resnet18_hwgq.prototxt --batch=16 --classes=1000 --iterations=1
echo "load after: $(uptime | sed 's/.*load/load/')"
