#!/bin/bash
# Scaling of data-parallel training on one machine: for AlexNet-HWGQ and ResNet-18-HWGQ
# (Input layers, random data), alternating runs of 1 rank and 2 ranks (one thread each,
# batch B per rank), the 2-rank runs once with the gradient allreduce overlapped with
# backward and once after it. Ranks talk over shared memory (Open MPI's vader).
#
#   bench/data_parallel_scaling.sh [ROUNDS] [BATCH]      # from the repository root
set -euo pipefail
ROUNDS=${1:-3}
BATCH=${2:-8}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
BENCH=${BENCH:-build/bin/hwgq_bench_data_parallel}
for net in alexnet_hwgq resnet18_hwgq; do
  for round in $(seq "$ROUNDS"); do
    for config in "1 true" "2 true" "2 false"; do
      set -- $config
      echo "== $net round $round: $1 rank(s), overlap $2"
      mpirun --oversubscribe --bind-to none --mca btl self,vader -np "$1" "$BENCH" \
        --model=bench/nets/$net.prototxt --batch="$BATCH" --threads=1 --iterations=2 --repeats=3 \
        --overlap="$2" 2>&1 | grep -E "median|allreduce"
    done
  done
done
