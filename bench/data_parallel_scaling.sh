#!/bin/bash
# Scaling of data-parallel training on one machine: for AlexNet-HWGQ and ResNet-18-HWGQ
# (Input layers, random data), alternating runs of
#   1 rank                 one process, one thread, batch B;
#   2 independent          two such processes at once, not connected: what the machine
#                          gives two single-threaded trainings, the ceiling for 2 ranks;
#   2 ranks                mpirun -np 2, one thread each, batch B per rank, gradients
#                          reduced while backward runs by hwgq's shared-memory reduction
#                          (--gradient_reduction=auto on one machine), fully connected
#                          weight gradients from gathered factors where auto picks them
#                          (--fc_gradient_exchange=auto);
#   2 ranks, FC gradients  the same with every gradient reduced (--fc_gradient_exchange=
#                          gradients);
#   2 ranks, MPI           the same with MPI's allreduce (Open MPI over its shared-memory
#                          transport, vader);
#   2 ranks, no overlap    shared memory with every bucket reduced after backward.
# Prints each run, then per net the medians and the efficiencies: 2 ranks over twice
# 1 rank (the scaling efficiency), 2 independent over twice 1 rank (the machine's
# ceiling), and 2 ranks over 2 independent (what data parallelism itself costs).
#
#   bench/data_parallel_scaling.sh [ROUNDS] [BATCH] [NET...]    # from the repository root
#
# Environment: ITERATIONS and REPEATS (default 2 and 3: each run is the median of REPEATS
# timings of ITERATIONS iterations, after 2 warm-up iterations); WITHOUT_OVERLAP=0 leaves
# out the runs that reduce after backward, WITH_MPI=0 those with MPI's allreduce (for large
# batches, where each run is long), WITH_FC_GRADIENTS=0 those reducing the fully connected
# weight gradients.
set -euo pipefail
ROUNDS=${1:-3}
BATCH=${2:-8}
shift $(( $# > 2 ? 2 : $# ))
NETS=("$@")
[ ${#NETS[@]} -gt 0 ] || NETS=(alexnet_hwgq resnet18_hwgq)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_WAIT_POLICY=passive
BENCH=${BENCH:-build/bin/hwgq_bench_data_parallel}
source bench/median.sh
images_per_s() { awk '/median/ {for (i = 1; i <= NF; ++i) if ($i == "images/s,") print $(i - 1)}'; }
for net in "${NETS[@]}"; do
  ARGS=(--model=bench/nets/$net.prototxt --batch="$BATCH" --threads=1 --iterations="${ITERATIONS:-2}"
        --repeats="${REPEATS:-3}")
  one=() independent=() ranks=() ranks_mpi=() ranks_no_overlap=() ranks_fc_gradients=()
  for round in $(seq "$ROUNDS"); do
    echo "== $net round $round: 1 rank"
    out=$("$BENCH" "${ARGS[@]}" 2>&1); echo "$out" | grep median
    one+=("$(echo "$out" | images_per_s)")
    echo "== $net round $round: 2 independent processes"
    # Each in a temporary folder of its own: two Open MPI singletons starting together race
    # to create the same session folder under it, and the loser fails.
    mkdir -p /tmp/dp_session.$$
    TMPDIR=/tmp/dp_session.$$ "$BENCH" "${ARGS[@]}" > /tmp/dp_independent.$$ 2>&1 & pid=$!
    out=$("$BENCH" "${ARGS[@]}" 2>&1); wait $pid
    rm -rf /tmp/dp_session.$$
    echo "$out" | grep median; grep median /tmp/dp_independent.$$
    independent+=("$(awk -v a="$(echo "$out" | images_per_s)" -v b="$(images_per_s < /tmp/dp_independent.$$)" \
                        'BEGIN {print a + b}')")
    rm -f /tmp/dp_independent.$$
    runs=("true shared_memory auto")
    [ "${WITH_FC_GRADIENTS:-1}" = 0 ] || runs+=("true shared_memory gradients")
    [ "${WITH_MPI:-1}" = 0 ] || runs+=("true mpi auto")
    [ "${WITHOUT_OVERLAP:-1}" = 0 ] || runs+=("false shared_memory auto")
    for run in "${runs[@]}"; do
      read -r overlap reduction fc <<< "$run"
      echo "== $net round $round: 2 ranks, $reduction, overlap $overlap, fully connected: $fc"
      out=$(mpirun --oversubscribe --bind-to none --mca btl self,vader -np 2 "$BENCH" "${ARGS[@]}" \
              --overlap="$overlap" --reduction="$reduction" --fc_gradient_exchange="$fc" 2>&1)
      echo "$out" | grep -E "median|allreduce|factors"
      case $run in
        "true shared_memory auto") ranks+=("$(echo "$out" | images_per_s)") ;;
        "true shared_memory gradients") ranks_fc_gradients+=("$(echo "$out" | images_per_s)") ;;
        "true mpi auto") ranks_mpi+=("$(echo "$out" | images_per_s)") ;;
        *) ranks_no_overlap+=("$(echo "$out" | images_per_s)") ;;
      esac
    done
  done
  o=$(median "${one[@]}"); i=$(median "${independent[@]}"); r=$(median "${ranks[@]}")
  m=0 n=0 g=0
  [ ${#ranks_fc_gradients[@]} -gt 0 ] && g=$(median "${ranks_fc_gradients[@]}")
  [ ${#ranks_mpi[@]} -gt 0 ] && m=$(median "${ranks_mpi[@]}")
  [ ${#ranks_no_overlap[@]} -gt 0 ] && n=$(median "${ranks_no_overlap[@]}")
  awk -v net="$net" -v b="$BATCH" -v o="$o" -v i="$i" -v r="$r" -v m="$m" -v n="$n" -v g="$g" '
    function rate(x) { return x > 0 ? sprintf("%.2f", x) : "not run" }
    function share(x) { return x > 0 ? sprintf("%.1f %%", 100 * x / (2 * o)) : "not run" }
    BEGIN {
      printf "%s batch %d per rank, medians in images/s: 1 rank %.2f, 2 independent %.2f, 2 ranks %.2f, " \
             "2 ranks reducing FC gradients %s, 2 ranks with MPI allreduce %s, 2 ranks without overlap %s\n",
             net, b, o, i, r, rate(g), rate(m), rate(n)
      printf "%s scaling efficiency %.1f %% (FC gradients reduced %s, MPI allreduce %s, without overlap %s); " \
             "machine ceiling %.1f %%; 2 ranks / 2 independent %.1f %%\n", net, 100 * r / (2 * o), share(g),
             share(m), share(n), 100 * i / (2 * o), 100 * r / i }'
done
