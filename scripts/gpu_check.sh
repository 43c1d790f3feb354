#!/usr/bin/env bash
# The GPU check: one prepared script, in two halves.
#
#   scripts/gpu_check.sh prepare    on the development machine (nvcc, cuDNN and the Debian
#                                   -dev packages installed; no GPU needed)
#   scripts/gpu_check.sh run        on the GPU machine (CUDA 13 and PyTorch, but none of the
#                                   Debian libraries hwgq links against)
#
# prepare builds build-gpu/ (Release, CUDA for sm_90 = H100/H200, no -march=native so
# the binaries run on the GPU machine's CPU too), strips bin/hwgq, bin/hwgq_tests and
# bin/hwgq_bench, and copies the shared libraries they need that a bare CUDA machine lacks
# (protobuf, glog, gflags, OpenBLAS with libgfortran, lmdb, libpng, libjpeg, ...) into
# build-gpu/lib-carry/. Those two folders are ignored by git, so they must be sent along
# with the working tree explicitly; with this workplace's device tool:
#
#   run(command="scripts/gpu_check.sh run", carry=["build-gpu/bin", "build-gpu/lib-carry"],
#       timeout_s=540)
#
# run finds cuDNN in PyTorch's nvidia-cudnn wheel (and cuBLAS/cudart in /usr/local/cuda or
# the nvidia wheels), then, within about 8 minutes:
#   1. device query and library versions,
#   2. the GPU tests (hwgq_tests --gtest_filter='Gpu*': every layer CPU vs GPU, whole
#      HWGQ training steps),
#   3. one training iteration of AlexNet-HWGQ and ResNet-18-HWGQ at batch 256, in hwgq
#      (hwgq_bench --gpu) and in PyTorch (bench/pytorch_hwgq_nets.py), median ms/iter and
#      the PyTorch/hwgq ratio.
# Logs go to $OUT (the device tool's result folder) when set, else to gpu_check_out/.
# Environment: BATCH (256), ITERATIONS (10), REPEATS (3), TF32=1 to allow TF32 in both.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=build-gpu
CARRY=$BUILD/lib-carry

prepare() {
  set -e
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DHWGQ_USE_CUDA=ON -DHWGQ_NATIVE=OFF \
    -DCMAKE_CUDA_ARCHITECTURES=90
  cmake --build "$BUILD" -j"${JOBS:-2}" --target hwgq hwgq_tests hwgq_bench
  strip --strip-unneeded "$BUILD"/bin/hwgq "$BUILD"/bin/hwgq_tests "$BUILD"/bin/hwgq_bench
  rm -rf "$CARRY"
  mkdir -p "$CARRY"
  # Everything the binaries load except the C/C++ runtime (the GPU machine's own, newer,
  # must serve cuDNN too) and the CUDA libraries (taken from the GPU machine, matching its
  # driver). -L copies the file a symlink names, under the soname the loader looks for.
  local skip='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libstdc\+\+|libgcc_s|libcuda\.|libcudart|libcublas|libcudnn|libnvrtc|libnvJitLink)'
  for bin in "$BUILD"/bin/hwgq "$BUILD"/bin/hwgq_tests "$BUILD"/bin/hwgq_bench; do
    ldd "$bin" | awk '/=> \// {print $1, $3}'
  done | sort -u | while read -r name path; do
    if [[ ! "$name" =~ $skip ]]; then cp -L "$path" "$CARRY/$name"; fi
  done
  strip --strip-unneeded "$CARRY"/*.so* 2>/dev/null || true
  # The C++ runtime too, but apart: used only if the GPU machine's is older than ours.
  mkdir -p "$CARRY/fallback"
  for name in libstdc++.so.6 libgcc_s.so.1; do
    cp -L "$(ldd "$BUILD"/bin/hwgq_tests | awk -v n="$name" '$1 == n {print $3}')" "$CARRY/fallback/$name"
  done
  echo "carried libraries:"
  ls -l "$CARRY"
  du -sh "$BUILD/bin" "$CARRY"
  echo "send with: carry=[\"$BUILD/bin\", \"$CARRY\"]"
}

# Directories of the CUDA libraries on the GPU machine: the toolkit's, and those of the
# nvidia-* wheels PyTorch brought (cuDNN is only there).
cuda_library_path() {
  local dirs=()
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    [ -d "$d" ] && dirs+=("$d")
  done
  local cudnn
  cudnn=$(python3 -c "import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))" 2>/dev/null)
  [ -n "$cudnn" ] && [ -d "$cudnn/lib" ] && dirs+=("$cudnn/lib")
  # Other wheels (cuBLAS, the CUDA runtime), wherever their lib folders are.
  local wheel_dirs
  wheel_dirs=$(python3 - <<'EOF' 2>/dev/null
import os
try:
    import nvidia
except ImportError:
    raise SystemExit
seen = set()
for base in list(nvidia.__path__):
    for root, _, files in os.walk(base):
        if any(f.startswith(("libcublas", "libcudart", "libnvJitLink")) and ".so" in f for f in files):
            seen.add(root)
print(":".join(sorted(seen)))
EOF
)
  [ -n "$wheel_dirs" ] && dirs+=("$wheel_dirs")
  local IFS=:
  echo "${dirs[*]}"
}

run() {
  local out=${OUT:-$ROOT/gpu_check_out}
  mkdir -p "$out"
  local log=$out/gpu_check.log
  local batch=${BATCH:-256} iterations=${ITERATIONS:-10} repeats=${REPEATS:-3}
  local tf32_flag="" torch_tf32=""
  if [ "${TF32:-0}" = 1 ]; then tf32_flag="--tf32"; torch_tf32="--tf32"; fi
  for f in "$BUILD"/bin/hwgq "$BUILD"/bin/hwgq_tests "$BUILD"/bin/hwgq_bench; do
    [ -x "$f" ] || { echo "missing $f: run 'scripts/gpu_check.sh prepare' here and carry $BUILD/bin and $CARRY" | tee -a "$log"; exit 2; }
  done
  export LD_LIBRARY_PATH="$ROOT/$CARRY:$(cuda_library_path)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if ldd "$BUILD"/bin/hwgq_tests 2>&1 | grep -q "GLIBCXX.*not found\|CXXABI.*not found"; then
    echo "the system C++ runtime is older than the build's: using the carried one" | tee -a "$log"
    export LD_LIBRARY_PATH="$ROOT/$CARRY/fallback:$LD_LIBRARY_PATH"
  fi
  export PYTHONUNBUFFERED=1
  local started=$SECONDS
  local failures=0
  step() {  # step NAME TIMEOUT COMMAND...
    local name=$1 limit=$2
    shift 2
    echo "=== $name ($(( SECONDS - started )) s in)" | tee -a "$log"
    timeout "$limit" "$@" 2>&1 | tee "$out/$name.log" | tail -n 60 >> "$log"
    local rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || { echo "!!! $name exited with $rc" | tee -a "$log"; failures=$((failures + 1)); }
    tail -n 3 "$out/$name.log"
    return 0
  }

  {
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())" 2>&1
    echo "missing libraries:"; ldd "$BUILD"/bin/hwgq_tests | grep "not found" || echo "  none"
  } 2>&1 | tee -a "$log"

  step device_query 30 "$BUILD"/bin/hwgq device_query
  step gpu_tests 150 env HWGQ_GPU_TESTS_REQUIRED=1 "$BUILD"/bin/hwgq_tests --gtest_filter='Gpu*' --gtest_brief=1
  local results=()
  for model in alexnet resnet18; do
    step "hwgq_$model" 75 "$BUILD"/bin/hwgq_bench --model=bench/nets/${model}_hwgq.prototxt --batch="$batch" \
      --classes=1000 --iterations="$iterations" --repeats="$repeats" --gpu $tf32_flag
    step "pytorch_$model" 75 python3 bench/pytorch_hwgq_nets.py --model "$model" --batch "$batch" \
      --iterations "$iterations" --repeats "$repeats" --device cuda $torch_tf32
    local h t
    h=$(awk '/^median/ {print $2}' "$out/hwgq_$model.log")
    t=$(awk '/^median/ {print $2}' "$out/pytorch_$model.log")
    results+=("$model batch $batch: hwgq ${h:-?} ms/iter, PyTorch ${t:-?} ms/iter, PyTorch/hwgq = $(
      awk -v h="${h:-0}" -v t="${t:-0}" 'BEGIN {if (h > 0 && t > 0) printf "%.2f", t / h; else print "?"}')")
  done
  {
    echo "=== summary ($(( SECONDS - started )) s)"
    printf '%s\n' "${results[@]}"
    echo "failed steps: $failures"
  } | tee -a "$log"
  [ "$failures" = 0 ]
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: $0 prepare|run   (see the comment at the top)"; exit 2 ;;
esac
