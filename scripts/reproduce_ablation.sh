#!/usr/bin/env bash
# Trains the six Fashion-MNIST LeNet ablation models (full precision, BW, BW+sign, and
# BW+HWGQ with vanilla, clipped and log-tailed ReLU backward) for their solvers' 10,000
# iterations and writes docs/results.md: the final test accuracy of each (and before BatchNorm
# recalibration), the accuracy trajectory during training, the seed,
# iterations, commit and command, and draws the six runs' training curves from their
# metrics files (docs/images/ablation_curves.svg). Logs and metrics go to
# out/fashion_mnist/<variant>/. Sections of docs/results.md after the ablation are kept.
#
#   scripts/reproduce_ablation.sh            # JOBS runs at a time (default 2), 1 thread each
#   JOBS=1 THREADS=2 scripts/reproduce_ablation.sh
#   ONLY="lenet-bw lenet-bw-sign" scripts/reproduce_ablation.sh   # retrain these; the table reads every log
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
THREADS=${THREADS:-1}
VARIANTS=(lenet lenet-bw lenet-bw-sign lenet-hwgq-relu lenet-hwgq-clipped lenet-hwgq-logtailed)
HWGQ=${HWGQ:-build/bin/hwgq}
[ -x "$HWGQ" ] || bash scripts/build.sh

train_one() {
  local variant=$1
  mkdir -p "out/fashion_mnist/$variant"
  local start=$SECONDS
  "$HWGQ" train --solver="models/fashion_mnist/$variant/solver.prototxt" --threads="$THREADS" \
    > "out/fashion_mnist/$variant/train.log" 2>&1
  echo "$variant: $((SECONDS - start)) s"
}
export -f train_one
export THREADS HWGQ
read -r -a TRAIN <<< "${ONLY:-${VARIANTS[*]}}"
printf '%s\n' "${TRAIN[@]}" | xargs -P "$JOBS" -I{} bash -c 'train_one {}'

# The commit is read before anything below writes into the tree.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi

metrics=() legend=()
for v in "${VARIANTS[@]}"; do
  metrics+=("out/fashion_mnist/$v/${v}_metrics.jsonl")
  legend+=("$v")
done
mkdir -p docs/images
"$HWGQ" plot --metrics="$(IFS=,; echo "${metrics[*]}")" --legend="$(IFS=,; echo "${legend[*]}")" \
  --series=train/loss,test0/accuracy,test0/loss,train/lr --output=docs/images/ablation_curves.svg

declare -A describe=(
  [lenet]="full precision (float weights, ReLU)"
  [lenet-bw]="BW: binary weights, ReLU"
  [lenet-bw-sign]="BW + sign activations (hard_tanh backward, clip 1)"
  [lenet-hwgq-relu]="BW + 2-bit HWGQ, vanilla ReLU backward"
  [lenet-hwgq-clipped]="BW + 2-bit HWGQ, clipped ReLU backward"
  [lenet-hwgq-logtailed]="BW + 2-bit HWGQ, log-tailed ReLU backward"
)
declare -A target=([lenet]=0.910 [lenet-bw]=0.895 [lenet-bw-sign]=0.865 [lenet-hwgq-relu]=0.885
                   [lenet-hwgq-clipped]=0.885 [lenet-hwgq-logtailed]=0.885)
# Everything after the ablation (the next "## " section on) stays as it is.
kept_tail=$(awk '/^## / && !/^## Fashion-MNIST LeNet ablation/ {keep = 1} keep' docs/results.md 2>/dev/null || true)
{
  echo "# Results"
  echo
  echo "## Fashion-MNIST LeNet ablation"
  echo
  echo "Made by \`scripts/reproduce_ablation.sh\` (JOBS=$JOBS, THREADS=$THREADS) at commit $commit on $(date -u +%Y-%m-%d)."
  echo "Each model trains 10,000 iterations at batch 64 (SGD, momentum 0.9, weight decay 5e-4, none on"
  echo "the real-valued weights behind binary ones,"
  echo "lr 0.01 decaying linearly to 0), random_seed 1, and is tested on all 10,000"
  echo "test images after the last iteration. Every variant has the same structure"
  echo "(models/fashion_mnist/<variant>/train_val.prototxt); the binary variants binarise every"
  echo "layer, as the HWGQ authors' MNIST example does; HWGQ uses the 2-bit uniform levels"
  echo "0.538, 1.076, 1.614."
  echo
  echo "| variant | model | test accuracy | target | moving-average statistics | iterations | seed | train time |"
  echo "|---|---|---|---|---|---|---|---|"
  for v in "${VARIANTS[@]}"; do
    log="out/fashion_mnist/$v/train.log"
    acc=$(grep -E "Test net output #0: accuracy = " "$log" | tail -n 1 | sed 's/.*accuracy = //')
    # The test the solver runs just before recalibrating (batch_norm_recalibration_iter).
    acc_ma=$(sed -n '/testing with the moving-average BatchNorm statistics/,$p' "$log" |
             grep -m 1 -E "Test net output #0: accuracy = " | sed 's/.*accuracy = //')
    iters=$(grep -E "Snapshotting to binary proto file" "$log" | tail -n 1 | sed 's/.*_iter_\([0-9]*\).*/\1/')
    seed=$(grep -E "^random_seed:" "models/fashion_mnist/$v/solver.prototxt" | awk '{print $2}')
    secs=$(grep -E "Iteration 10000|Optimization Done" "$log" >/dev/null && \
           awk 'NR==1 {split($2, a, ":"); s=a[1]*3600+a[2]*60+a[3]} END {split($2, b, ":"); e=b[1]*3600+b[2]*60+b[3]; printf "%d s", e-s}' "$log")
    echo "| \`$v\` | ${describe[$v]} | ${acc:-n/a} | ≥ ${target[$v]} | ${acc_ma:-n/a} | ${iters:-n/a} | ${seed} | ${secs} |"
  done
  echo
  echo "*test accuracy*: the final model, whose BatchNorm statistics the solver re-estimated"
  echo "after iteration 10,000 over 200 training batches with the weights frozen"
  echo "(\`batch_norm_recalibration_iter: 200\`; no weight changes). *moving-average statistics*:"
  echo "the same weights tested with BatchNorm's moving averages, just before that step."
  echo "The binary variants keep flipping 1-5 % of their weight signs per 250 iterations up to"
  echo "the end, so a moving average over the last ~100 batches describes none of the weight"
  echo "sets it saw; re-estimating it for the final weights removes most of the swing that the"
  echo "tests during training show."
  echo "*train time*: wall clock of each run, with JOBS runs sharing the machine at a time."
  echo
  echo "### Test accuracy during training (moving-average statistics)"
  echo
  echo "| variant | iterations 1,000 ... 10,000 |"
  echo "|---|---|"
  for v in "${VARIANTS[@]}"; do
    log="out/fashion_mnist/$v/train.log"
    # Every test but the last (the recalibrated one).
    trajectory=$(grep -E "Test net output #0: accuracy = " "$log" | sed 's/.*accuracy = //' | head -n -1 | tr '\n' ' ')
    echo "| \`$v\` | ${trajectory% } |"
  done
  echo
  echo "### Training curves"
  echo
  echo "![Smoothed training loss, test accuracy, test loss and learning rate of the six variants](images/ablation_curves.svg)"
  echo
  echo "Drawn by \`hwgq plot\` from the runs' metrics files (\`out/fashion_mnist/<variant>/<variant>_metrics.jsonl\`)."
  echo
  echo "Command: \`scripts/reproduce_ablation.sh\` (logs in \`out/fashion_mnist/<variant>/train.log\`)."
  if [ -n "$kept_tail" ]; then
    echo
    echo "$kept_tail"
  fi
} > docs/results.md
cat docs/results.md
